{# Rule node_overdue: a registry project's milestone node whose planned_date has passed with no
   actual_date on or before as_of (late by as_of - planned_date), or that was met late (late by
   actual_date - planned_date), the latter only while as_of is within node_met_late_window_days
   of actual_date. The delay is the node_delay_days macro, as in fct_milestone. Yellow
   1..red_days days late, red beyond. One row per project: its latest node. #}
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
        {{ node_delay_days('milestones.planned_date', 'milestones.actual_date') }} as delay_days,
        {{ happened('milestones.actual_date') }} as is_met
    from milestones
),

warned as (
    select late.* from late
    where
        late.delay_days >= 1
        and (
            not late.is_met
            or {{ as_of() }} - late.actual_date <= {{ var('node_met_late_window_days') }}
        )
),

worst as (
    select distinct on (warned.project_code)
        warned.*,
        count(*) over (partition by warned.project_code) as n_late_nodes
    from warned
    order by warned.project_code asc, warned.delay_days desc, warned.seq asc
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
            when not worst.is_met then ' 未完成'
            else ' 实际 ' || worst.actual_date::text || ' 完成'
        end
        || '，滞后' || worst.delay_days::text || '天（逾期节点 ' || worst.n_late_nodes::text
        || ' 个）' as detail
    from worst
)

select * from graded
