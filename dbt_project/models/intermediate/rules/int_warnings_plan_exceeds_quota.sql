{# Rule plan_exceeds_quota (定额锁定上限): a node's planned_date is more days after the planned date
   of the previous node (by seq) that has one than the node's quota for the project's kind
   (milestone_nodes.csv) allows. Skipped without such a previous node or without a quota (e.g. 征地
   of a service project). Always yellow; delay_days = days beyond the quota. One row per project:
   its node furthest beyond quota. #}
with

milestones as (
    select * from {{ ref('int_milestones_joined') }}
    where in_registry
),

exceeding as (
    select
        milestones.project_code,
        milestones.street_code,
        milestones.node,
        milestones.seq,
        milestones.planned_date,
        milestones.prev_planned_node,
        milestones.prev_planned_date,
        milestones.quota_days,
        milestones.planned_date - milestones.prev_planned_date as planned_days,
        milestones.planned_date - milestones.prev_planned_date - milestones.quota_days
            as excess_days
    from milestones
    where
        milestones.planned_date is not null
        and milestones.prev_planned_date is not null
        and milestones.quota_days is not null
        and milestones.planned_date - milestones.prev_planned_date > milestones.quota_days
),

worst as (
    select distinct on (exceeding.project_code)
        exceeding.*,
        count(*) over (partition by exceeding.project_code) as n_nodes
    from exceeding
    order by exceeding.project_code asc, exceeding.excess_days desc, exceeding.seq asc
),

graded as (
    select
        'plan_exceeds_quota' as rule_id,
        worst.project_code,
        null::text as parcel_no,
        worst.node,
        worst.street_code,
        worst.excess_days as delay_days,
        null::numeric as measure,
        'yellow' as grade,
        '节点「' || worst.node || '」计划 ' || worst.planned_date::text || '，距上一节点「'
        || worst.prev_planned_node || '」' || worst.planned_days::text || '天，超出定额 '
        || worst.quota_days::text || ' 天（超定额节点 ' || worst.n_nodes::text || ' 个）' as detail
    from worst
)

select * from graded
