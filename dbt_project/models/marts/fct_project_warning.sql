{# Graded warnings (分级预警) as of the run's as_of: one row per (project or parcel, rule) that earns
   a grade; the table holds the latest run only (history is in the alerts). owner_dept per the owner_routing seed
   (the project's street; idle_land 自然资源和规划局). #}
with

found as (
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

owned as (
    {{ route_owner('found', feed=none) }}
),

final as (
    select
        md5(
            owned.rule_id || '|' || coalesce(owned.project_code, '') || '|'
            || coalesce(owned.parcel_no, '')
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
        owned.street_code
    from owned
)

select * from final
