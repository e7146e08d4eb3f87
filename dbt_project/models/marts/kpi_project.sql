{# Indicators per registry project at as_of. TTM (macros/ttm.sql, as the
   tax_commitment_shortfall rule) = the ttm_months months ending with the last month whose data is
   due at as_of (tax: due day tax_due_day of the next month; output: the stats_enterprise due
   day). Per-mu figures use the land parcels carrying the project's code. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

links as (
    select * from {{ ref('int_projects_linked') }}
),

months as (
    select * from {{ ref('fct_project_month') }}
),

approvals as (
    select * from {{ ref('stg_approvals__approvals') }}
),

enterprise as (
    select * from {{ ref('stg_stats_enterprise__reports') }}
),

relocation as (
    select * from {{ ref('int_projects_relocation_flagged') }}
),

warnings as (
    select * from {{ ref('fct_project_warning') }}
),

chains as (
    select * from {{ ref('int_projects_approval_chain') }}
),

land as (
    select
        links.project_code,
        sum(links.area_mu) as land_area_mu,
        min(links.contract_signed_on) as land_contract_signed_on
    from links
    where links.link_via = 'project_code'
    group by links.project_code
),

ttm as (
    select
        months.project_code,
        {{ ttm_sum('months.tax_wan', 'months.period', var('tax_due_day')) }} as tax_ttm_wan,
        {{
            ttm_sum(
                'months.output_value', 'months.period',
                var('feed_windows')['stats_enterprise']['monthly_due_day']
            )
        }} as output_ttm_wan,
        (array_agg(months.cumulative_investment order by months.period desc) filter (
            where months.cumulative_investment is not null
        ))[1] as cumulative_investment
    from months
    group by months.project_code
),

permits as (
    select
        approvals.project_code,
        min(approvals.decided_on) as permit_decided_on
    from approvals
    where
        approvals.item = '{{ var("item_permit") }}'
        and approvals.result = '{{ var("approval_granted") }}'
    group by approvals.project_code
),

above_scale as (
    select
        projects.project_code,
        min(enterprise.period) as became_above_scale_on
    from projects
    inner join enterprise
        on
            projects.credit_code = enterprise.credit_code
            and enterprise.period >= date_trunc('month', projects.registered_on)
            and enterprise.above_scale = '{{ var("above_scale_yes") }}'
    group by projects.project_code
),

cards as (
    select
        warnings.project_code,
        case
            when bool_or(warnings.grade = 'red') then 'red'
            when bool_or(warnings.grade = 'yellow') then 'yellow'
        end as card
    from warnings
    where warnings.project_code is not null
    group by warnings.project_code
),

final as (
    select
        projects.project_code,
        projects.project_name,
        projects.street_code,
        projects.project_kind,
        land.land_area_mu,
        ttm.cumulative_investment,
        round(ttm.cumulative_investment / nullif(land.land_area_mu, 0), 4) as investment_intensity,
        round(coalesce(ttm.tax_ttm_wan, 0), 6) as tax_ttm_wan,
        round(coalesce(ttm.tax_ttm_wan, 0) / nullif(land.land_area_mu, 0), 4) as tax_per_mu_ttm,
        round(ttm.output_ttm_wan / nullif(land.land_area_mu, 0), 4) as output_per_mu_ttm,
        permits.permit_decided_on - land.land_contract_signed_on as land_to_permit_days,
        projects.actual_start_on - permits.permit_decided_on as permit_to_start_days,
        above_scale.became_above_scale_on,
        coalesce(relocation.relocated_not_new, false) as relocated_not_new,
        coalesce(cards.card, 'green') as card,
        {{ as_of() }} as as_of,
        chains.approval_chain_working_days
    from projects
    left join land on projects.project_code = land.project_code
    left join ttm on projects.project_code = ttm.project_code
    left join permits on projects.project_code = permits.project_code
    left join above_scale on projects.project_code = above_scale.project_code
    left join relocation on projects.project_code = relocation.project_code
    left join cards on projects.project_code = cards.project_code
    left join chains on projects.project_code = chains.project_code
)

select * from final
