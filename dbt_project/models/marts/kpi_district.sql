{# District indicators per month, from the month of the first delivery through the as_of month,
   each month judged at its end (or at as_of for the current month). Registry counts follow
   dim_project's history; started / in production use the actual node dates known at as_of.
   investment_effect (投资效果系数) on quarter months with stats_gdp: the GDP increment over the
   same quarter a year earlier / the fixed-asset investment of the same period (both cumulative
   for the year). Red and yellow cards exist for the as_of month only (warnings hold the latest
   run), leads' cards not counted. coverage_rate (应入尽入率) = registry projects / (registry
   projects + unregistered_project and unregistered_signed_lead gaps open at the month's judging
   date). approval_chain_median_days: median approval chain (working days) of the registry
   projects whose 施工许可证 was granted in the month. leads_in_talks / leads_signed: leads in the
   ledger known at as_of (as started / in production use the node dates known at as_of) that had
   been contacted and not yet signed by the judging date (stage not 终止), resp. signed by it. #}
with

batches as (
    select * from {{ ref('stg_ledger__batches') }}
),

versions as (
    select * from {{ ref('dim_project') }}
),

milestones as (
    select * from {{ ref('int_milestones_joined') }}
),

enterprise as (
    select * from {{ ref('stg_stats_enterprise__reports') }}
),

gdp as (
    select * from {{ ref('stg_stats_gdp__quarters') }}
),

gaps as (
    select * from {{ ref('fct_coverage_gap') }}
),

warnings as (
    select * from {{ ref('fct_project_warning') }}
),

chains as (
    select * from {{ ref('int_projects_approval_chain') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

leads as (
    select * from {{ ref('int_leads_matched') }}
    where in_ledger
),

months as (
    select
        series.period::date as period,
        least(
            (series.period + interval '1 month' - interval '1 day')::date, {{ as_of() }}
        ) as judged_on
    from generate_series(
        (select date_trunc('month', min(batches.delivered_on)) from batches)::timestamp,
        date_trunc('month', {{ as_of() }})::timestamp,
        interval '1 month'
    ) as series (period)
),

node_dates as (
    select
        milestones.project_code,
        max(milestones.actual_date) filter (
            where milestones.node = '{{ var("node_start") }}'
        ) as actual_start_on,
        max(milestones.actual_date) filter (
            where milestones.node = '{{ var("node_production") }}'
        ) as actual_production_on
    from milestones
    group by milestones.project_code
),

current_versions as (
    select * from versions
    where is_current
),

became_above_scale as (
    select
        current_versions.project_code,
        current_versions.registered_on,
        min(enterprise.period) as became_above_scale_on
    from current_versions
    inner join enterprise
        on
            current_versions.credit_code = enterprise.credit_code
            and enterprise.period >= date_trunc('month', current_versions.registered_on)
            and enterprise.above_scale = '{{ var("above_scale_yes") }}'
    group by current_versions.project_code, current_versions.registered_on
),

in_registry as (
    select
        months.period,
        versions.project_code
    from months
    inner join versions
        on
            versions.version_status = 'in_registry'
            and months.judged_on >= versions.valid_from
            and (versions.valid_to is null or months.judged_on < versions.valid_to)
),

registry_counts as (
    select
        in_registry.period,
        count(*) as projects_in_registry,
        count(*) filter (
            where node_dates.actual_start_on <= months.judged_on
        ) as projects_started,
        count(*) filter (
            where node_dates.actual_production_on <= months.judged_on
        ) as projects_in_production,
        count(*) filter (
            where
            became_above_scale.became_above_scale_on <= months.judged_on
            and became_above_scale.became_above_scale_on < became_above_scale.registered_on
            + interval '{{ var("above_scale_years") }} years'
        ) as converted_above_scale_3y
    from in_registry
    inner join months on in_registry.period = months.period
    left join node_dates on in_registry.project_code = node_dates.project_code
    left join became_above_scale on in_registry.project_code = became_above_scale.project_code
    group by in_registry.period
),

effect as (
    select
        gdp.period,
        round(
            (gdp.gdp - year_before.gdp) / nullif(gdp.fixed_asset_investment, 0), 4
        ) as investment_effect
    from gdp
    inner join gdp as year_before on gdp.period - interval '1 year' = year_before.period
),

gap_counts as (
    select
        months.period,
        count(gaps.gap_id) as open_gaps
    from months
    left join gaps
        on
            months.judged_on >= gaps.detected_on
            and (gaps.resolved_on is null or months.judged_on < gaps.resolved_on)
    group by months.period
),

coverage_gap_counts as (
    select
        months.period,
        count(gaps.gap_id) as open_unregistered
    from months
    left join gaps
        on
            gaps.rule_id in ('unregistered_project', 'unregistered_signed_lead')
            and months.judged_on >= gaps.detected_on
            and (gaps.resolved_on is null or months.judged_on < gaps.resolved_on)
    group by months.period
),

chain_medians as (
    select
        date_trunc('month', chains.permit_decided_on)::date as period,
        percentile_cont(0.5) within group (
            order by chains.approval_chain_working_days
        ) as approval_chain_median_days
    from chains
    inner join projects on chains.project_code = projects.project_code
    where chains.approval_chain_working_days is not null
    group by date_trunc('month', chains.permit_decided_on)
),

lead_counts as (
    select
        months.period,
        count(leads.lead_id) filter (
            where
            leads.first_contact_on <= months.judged_on
            and (leads.signed_on is null or leads.signed_on > months.judged_on)
            and leads.feed_stage is distinct from '{{ var("lead_stage_dropped") }}'
            and (leads.project_code is null or leads.registered_on > months.judged_on)
        ) as leads_in_talks,
        count(leads.lead_id) filter (
            where leads.signed_on <= months.judged_on
        ) as leads_signed
    from months
    cross join leads
    group by months.period
),

cards as (
    select
        coalesce(warnings.project_code, warnings.parcel_no) as subject,
        bool_or(warnings.grade = 'red') as is_red
    from warnings
    where warnings.lead_id is null
    group by coalesce(warnings.project_code, warnings.parcel_no)
),

card_counts as (
    select
        date_trunc('month', {{ as_of() }})::date as period,
        count(*) filter (where cards.is_red) as red_cards,
        count(*) filter (where not cards.is_red) as yellow_cards
    from cards
),

final as (
    select
        months.period,
        coalesce(registry_counts.projects_in_registry, 0) as projects_in_registry,
        coalesce(registry_counts.projects_started, 0) as projects_started,
        coalesce(registry_counts.projects_in_production, 0) as projects_in_production,
        effect.investment_effect,
        coalesce(registry_counts.converted_above_scale_3y, 0) as converted_above_scale_3y,
        coalesce(gap_counts.open_gaps, 0) as open_gaps,
        case
            when months.period = card_counts.period then coalesce(card_counts.red_cards, 0)
        end as red_cards,
        case
            when months.period = card_counts.period then coalesce(card_counts.yellow_cards, 0)
        end as yellow_cards,
        round(
            coalesce(registry_counts.projects_in_registry, 0)::numeric
            / nullif(
                coalesce(registry_counts.projects_in_registry, 0)
                + coalesce(coverage_gap_counts.open_unregistered, 0),
                0
            ),
            4
        ) as coverage_rate,
        chain_medians.approval_chain_median_days::numeric as approval_chain_median_days,
        coalesce(lead_counts.leads_in_talks, 0) as leads_in_talks,
        coalesce(lead_counts.leads_signed, 0) as leads_signed
    from months
    left join registry_counts on months.period = registry_counts.period
    left join effect on months.period = effect.period
    left join gap_counts on months.period = gap_counts.period
    left join coverage_gap_counts on months.period = coverage_gap_counts.period
    left join chain_medians on months.period = chain_medians.period
    left join lead_counts on months.period = lead_counts.period
    cross join card_counts
)

select * from final
