{# Current milestone rows x the reference nodes: seq, the node's quota in days for the project's
   kind (industrial / service column of milestone_nodes.csv), and the previous node (by seq) that
   has a planned date. Rows of projects not in the registry are kept, flagged in_registry false. #}
with

milestones as (
    select * from {{ ref('stg_milestones__milestones') }}
),

nodes as (
    select * from {{ ref('milestone_nodes') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

joined as (
    select
        milestones.project_code,
        milestones.node,
        nodes.seq,
        milestones.planned_date,
        milestones.actual_date,
        milestones.reported_on,
        milestones.note,
        projects.project_code is not null as in_registry,
        projects.project_kind,
        projects.street_code,
        case
            when projects.is_industrial then nodes.quota_days_industrial
            when projects.project_code is not null then nodes.quota_days_service
        end as quota_days,
        milestones.natural_key,
        milestones.event_id,
        milestones.delivered_on
    from milestones
    inner join nodes on milestones.node = nodes.node
    left join projects on milestones.project_code = projects.project_code
),

-- The previous planned node of a row is the k-th planned node of its project (by seq), k being
-- the number of planned nodes before the row: a join on that rank, linear in the rows.
ranked as (
    select
        joined.*,
        count(joined.planned_date) over (
            partition by joined.project_code
            order by joined.seq
            rows between unbounded preceding and 1 preceding
        ) as planned_before
    from joined
),

planned as (
    select
        joined.project_code,
        joined.node,
        joined.planned_date,
        row_number() over (partition by joined.project_code order by joined.seq) as planned_rank
    from joined
    where joined.planned_date is not null
),

with_previous as (
    select
        ranked.project_code,
        ranked.node,
        ranked.seq,
        ranked.planned_date,
        ranked.actual_date,
        ranked.reported_on,
        ranked.note,
        ranked.in_registry,
        ranked.project_kind,
        ranked.street_code,
        ranked.quota_days,
        ranked.natural_key,
        ranked.event_id,
        ranked.delivered_on,
        planned.node as prev_planned_node,
        planned.planned_date as prev_planned_date
    from ranked
    left join planned
        on
            ranked.project_code = planned.project_code
            and ranked.planned_before = planned.planned_rank
)

select * from with_previous
