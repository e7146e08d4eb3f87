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

with_previous as (
    select
        joined.*,
        previous.node as prev_planned_node,
        previous.planned_date as prev_planned_date
    from joined
    left join lateral (
        select
            earlier.node,
            earlier.planned_date
        from joined as earlier
        where
            earlier.project_code = joined.project_code
            and earlier.seq < joined.seq
            and earlier.planned_date is not null
        order by earlier.seq desc
        limit 1
    ) as previous on true
)

select * from with_previous
