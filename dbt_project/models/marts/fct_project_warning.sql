{# Graded warnings (分级预警) as of the run's as_of: one row per (project or parcel or lead, rule)
   that earns a grade; the table holds the latest run only (history is in the alerts). owner_dept
   per the owner_routing seed (the project's street; idle_land 自然资源和规划局; lead_stalled the
   lead's sourcing unit; approval_overdue 行政审批局). #}
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

owned as (
    {{ route_owner('found', feed=none, sourcing_unit='sourcing_unit') }}
),

final as (
    select
        md5(
            owned.rule_id || '|' || coalesce(owned.project_code, '') || '|'
            || coalesce(owned.parcel_no, '') || coalesce('|' || owned.lead_id, '')
        ) as warning_id,
        owned.project_code,
        owned.parcel_no,
        owned.rule_id,
        owned.grade,
        owned.delay_days,
        owned.detail,
        {{ as_of() }} as as_of,
        owned.node,
        owned.measure,
        owned.owner_dept,
        owned.street_code,
        owned.lead_id
    from owned
)

select * from final
