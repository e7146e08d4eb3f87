{# Rule node_overdue: a registry project's milestone node whose planned_date has passed with no
   actual_date (late by as_of - planned_date), or that was met late (late by actual_date -
   planned_date), the latter only while as_of is within node_met_late_window_days of actual_date.
   Yellow 1..red_days days late, red beyond. One row per project: its latest node. #}
with

milestones as (
    select * from {{ ref('int_milestones_joined') }}
    where in_registry
),

late as (
    select
        milestones.project_code,
        milestones.street_code,
        milestones.node,
        milestones.seq,
        milestones.planned_date,
        milestones.actual_date,
        case
            when milestones.actual_date is null or milestones.actual_date > {{ as_of() }}
                then {{ as_of() }} - milestones.planned_date
            else milestones.actual_date - milestones.planned_date
        end as delay_days
    from milestones
    where
        milestones.planned_date < {{ as_of() }}
        and (
            milestones.actual_date is null
            or milestones.actual_date > {{ as_of() }}
            or (
                milestones.actual_date > milestones.planned_date
                and {{ as_of() }} - milestones.actual_date
                <= {{ var('node_met_late_window_days') }}
            )
        )
),

worst as (
    select distinct on (late.project_code)
        late.*,
        count(*) over (partition by late.project_code) as n_late_nodes
    from late
    where late.delay_days >= 1
    order by late.project_code asc, late.delay_days desc, late.seq asc
),

graded as (
    select
        'node_overdue' as rule_id,
        worst.project_code,
        null::text as parcel_no,
        worst.node,
        worst.street_code,
        worst.delay_days,
        null::numeric as measure,
        case
            when worst.delay_days > {{ var('node_overdue_red_days') }} then 'red'
            else 'yellow'
        end as grade,
        '节点「' || worst.node || '」计划 ' || worst.planned_date::text
        || case
            when worst.actual_date is null or worst.actual_date > {{ as_of() }} then ' 未完成'
            else ' 实际 ' || worst.actual_date::text || ' 完成'
        end
        || '，滞后' || worst.delay_days::text || '天（逾期节点 ' || worst.n_late_nodes::text
        || ' 个）' as detail
    from worst
)

select * from graded
