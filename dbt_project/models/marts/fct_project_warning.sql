{# Graded warnings (分级预警) as of the run's as_of: one row per (project or parcel or lead, rule)
   that earns a grade; the table holds the latest run only (history is in the alerts). Routed by
   owner_routing.csv where it has the rule (lead_stalled to the lead's sourcing unit,
   approval_overdue to 行政审批局), else to the project's street; idle_land to the owner of the
   land feed (自然资源和规划局). #}
with

project_found as (
    select * from {{ ref('int_warnings_node_overdue') }}
    union all
    select * from {{ ref('int_warnings_start_overdue') }}
    union all
    select * from {{ ref('int_warnings_production_overdue') }}
    union all
    select * from {{ ref('int_warnings_investment_lag') }}
    union all
    select * from {{ ref('int_warnings_plan_exceeds_quota') }}
    union all
    select * from {{ ref('int_warnings_tax_commitment_shortfall') }}
    union all
    select * from {{ ref('int_warnings_idle_land') }}
),

found as (
    select
        project_found.*,
        null::text as lead_id,
        null::text as sourcing_unit
    from project_found
    union all
    select * from {{ ref('int_warnings_lead_stalled') }}
    union all
    select * from {{ ref('int_warnings_approval_overdue') }}
),

owners as (
    select * from {{ ref('int_feeds_owned') }}
),

routing as (
    select * from {{ ref('owner_routing') }}
),

final as (
    select
        md5(
            found.rule_id || '|' || coalesce(found.project_code, '') || '|'
            || coalesce(found.parcel_no, '') || coalesce('|' || found.lead_id, '')
        ) as warning_id,
        found.project_code,
        found.parcel_no,
        found.rule_id,
        found.grade,
        found.delay_days,
        found.detail,
        {{ as_of() }} as as_of,
        found.node,
        found.measure,
        case
            when routing.owner = 'street' then found.street_code
            when routing.owner = 'sourcing_unit' then found.sourcing_unit
            when routing.owner = 'feed_owner' and found.rule_id = 'idle_land'
                then land_owner.dept_code
            when routing.owner not in ('street', 'sourcing_unit', 'feed_owner')
                then routing.owner
            when found.rule_id = 'idle_land' then land_owner.dept_code
            else found.street_code
        end as owner_dept,
        found.street_code,
        found.lead_id
    from found
    left join owners as land_owner on land_owner.feed = 'land'
    left join routing on found.rule_id = routing.rule_id
)

select * from final
