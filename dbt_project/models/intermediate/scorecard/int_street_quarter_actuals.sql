{# The street scorecard's five actuals per street and quarter (every quarter of a target year that
   has begun by as_of), from what is known at as_of, next to a quarter of the street's annual
   target. Signed leads follow the benefit-sharing rule: a lead sourced by another street credits
   that street sourcing_share of its investment and the landing street the rest. #}
with

streets as (
    select * from {{ ref('streets') }}
),

targets as (
    select * from {{ ref('street_targets') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

months as (
    select * from {{ ref('fct_project_month') }}
),

indicators as (
    select * from {{ ref('kpi_project') }}
),

certificates as (
    select * from {{ ref('stg_hitech__certificates') }}
),

tax as (
    select * from {{ ref('stg_tax__payments') }}
),

batches as (
    select * from {{ ref('stg_ledger__batches') }}
),

leads as (
    select * from {{ ref('stg_leads__leads') }}
),

quarters as (
    select distinct make_date(targets.year, quarter_starts.month_no, 1) as quarter
    from targets
    cross join generate_series(1, 10, 3) as quarter_starts (month_no)
),

street_quarters as (
    select
        streets.street_code,
        quarters.quarter,
        (quarters.quarter + interval '3 months')::date as next_quarter
    from streets
    cross join quarters
    where quarters.quarter <= {{ as_of() }}
),

major_projects as (
    select
        street_quarters.street_code,
        street_quarters.quarter,
        count(*) as major_projects
    from street_quarters
    inner join projects
        on
            street_quarters.street_code = projects.street_code
            and street_quarters.quarter <= projects.registered_on
            and street_quarters.next_quarter > projects.registered_on
    where projects.planned_investment >= {{ var('scorecard_major_min_investment') }}
    group by street_quarters.street_code, street_quarters.quarter
),

investment as (
    select
        street_quarters.street_code,
        street_quarters.quarter,
        sum(months.month_investment) as investment_wan
    from street_quarters
    inner join projects on street_quarters.street_code = projects.street_code
    inner join months
        on
            projects.project_code = months.project_code
            and street_quarters.quarter <= months.period
            and street_quarters.next_quarter > months.period
    group by street_quarters.street_code, street_quarters.quarter
),

-- An enterprise's street: its registry project's (the latest registered), else its latest tax
-- row's: of the latest month, the latest delivered (never the last loaded), then the file's last.
project_streets as (
    select distinct on (projects.credit_code)
        projects.credit_code,
        projects.street_code
    from projects
    where projects.credit_code is not null
    order by projects.credit_code asc, projects.registered_on desc, projects.project_code asc
),

-- only the certified enterprises' tax rows: a few thousand, not every row of the feed
tax_streets as (
    select distinct on (tax.credit_code)
        tax.credit_code,
        tax.street_code
    from tax
    inner join batches on tax.batch_id = batches.batch_id
    where
        tax.street_code is not null
        and tax.credit_code in (select certificates.credit_code from certificates)
    order by
        tax.credit_code asc,
        tax.period desc,
        batches.delivered_on desc,
        batches.delivery_seq desc,
        batches.file_name desc,
        batches.sha256 desc,
        tax.event_id desc
),

certificate_streets as (
    select
        certificates.credit_code,
        certificates.certificate_no,
        certificates.certified_on,
        coalesce(project_streets.street_code, tax_streets.street_code) as street_code
    from certificates
    left join project_streets on certificates.credit_code = project_streets.credit_code
    left join tax_streets on certificates.credit_code = tax_streets.credit_code
),

hitech as (
    select
        street_quarters.street_code,
        street_quarters.quarter,
        count(*) as hitech
    from street_quarters
    inner join certificate_streets
        on
            street_quarters.street_code = certificate_streets.street_code
            and street_quarters.quarter <= certificate_streets.certified_on
            and street_quarters.next_quarter > certificate_streets.certified_on
    group by street_quarters.street_code, street_quarters.quarter
),

conversions as (
    select
        street_quarters.street_code,
        street_quarters.quarter,
        count(*) as conversions
    from street_quarters
    inner join indicators
        on
            street_quarters.street_code = indicators.street_code
            and street_quarters.quarter <= indicators.became_above_scale_on
            and street_quarters.next_quarter > indicators.became_above_scale_on
    group by street_quarters.street_code, street_quarters.quarter
),

signed as (
    select
        leads.lead_id,
        leads.street_code,
        leads.signed_on,
        leads.intended_investment,
        sourcing.street_code as sourcing_street,
        coalesce(sourcing.street_code <> leads.street_code, false) as is_shared
    from leads
    left join streets as sourcing on leads.sourcing_unit = sourcing.street_code
    where
        leads.stage in (
            {%- for stage in var('lead_stages_signed') %}
                '{{ stage }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
        and leads.signed_on is not null
),

lead_credits as (
    select
        signed.street_code,
        signed.signed_on,
        case
            when signed.is_shared
                then signed.intended_investment * (1 - {{ var('sourcing_share') }})
            else signed.intended_investment
        end as credit_wan
    from signed
    union all
    select
        signed.sourcing_street as street_code,
        signed.signed_on,
        signed.intended_investment * {{ var('sourcing_share') }} as credit_wan
    from signed
    where signed.is_shared
),

signed_leads as (
    select
        street_quarters.street_code,
        street_quarters.quarter,
        sum(lead_credits.credit_wan) as signed_leads_wan
    from street_quarters
    inner join lead_credits
        on
            street_quarters.street_code = lead_credits.street_code
            and street_quarters.quarter <= lead_credits.signed_on
            and street_quarters.next_quarter > lead_credits.signed_on
    group by street_quarters.street_code, street_quarters.quarter
),

final as (
    select
        street_quarters.street_code,
        street_quarters.quarter,
        coalesce(major_projects.major_projects, 0) as major_projects,
        round(coalesce(investment.investment_wan, 0), 2) as investment_wan,
        coalesce(hitech.hitech, 0) as hitech,
        coalesce(conversions.conversions, 0) as conversions,
        round(coalesce(signed_leads.signed_leads_wan, 0), 2) as signed_leads_wan,
        round(targets.major_projects / 4.0, 4) as target_major_projects,
        round(targets.investment_wan / 4.0, 4) as target_investment_wan,
        round(targets.hitech / 4.0, 4) as target_hitech,
        round(targets.conversions / 4.0, 4) as target_conversions,
        round(targets.signed_leads_wan / 4.0, 4) as target_signed_leads_wan
    from street_quarters
    inner join targets
        on
            street_quarters.street_code = targets.street_code
            and extract(year from street_quarters.quarter) = targets.year
    left join major_projects
        on
            street_quarters.street_code = major_projects.street_code
            and street_quarters.quarter = major_projects.quarter
    left join investment
        on
            street_quarters.street_code = investment.street_code
            and street_quarters.quarter = investment.quarter
    left join hitech
        on
            street_quarters.street_code = hitech.street_code
            and street_quarters.quarter = hitech.quarter
    left join conversions
        on
            street_quarters.street_code = conversions.street_code
            and street_quarters.quarter = conversions.quarter
    left join signed_leads
        on
            street_quarters.street_code = signed_leads.street_code
            and street_quarters.quarter = signed_leads.quarter
)

select * from final
