{# Graded warnings (分级预警) as of the run's as_of: one row per (project or parcel, rule) that earns
   a grade; the table holds the latest run only (history is in the alerts). Routed to the project's
   street; idle_land to the owner of the land feed (自然资源和规划局). #}
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

owners as (
    select * from {{ ref('int_feeds_owned') }}
),

final as (
    select
        md5(
            found.rule_id || '|' || coalesce(found.project_code, '') || '|'
            || coalesce(found.parcel_no, '')
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
            when found.rule_id = 'idle_land' then land_owner.dept_code
            else found.street_code
        end as owner_dept,
        found.street_code
    from found
    left join owners as land_owner on land_owner.feed = 'land'
)

select * from final
