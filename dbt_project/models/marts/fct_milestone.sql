{# Latest state of every project's milestone nodes. delay_days: days the node is late at as_of
   (open and past its planned date) or was late (met after its planned date); 0 when on time. #}
with

milestones as (
    select * from {{ ref('int_milestones_joined') }}
),

final as (
    select
        milestones.project_code,
        milestones.node,
        milestones.seq,
        milestones.planned_date,
        milestones.actual_date,
        milestones.reported_on as last_reported_on,
        case
            when milestones.planned_date is null then null
            when milestones.actual_date is not null
                then greatest(milestones.actual_date - milestones.planned_date, 0)
            else greatest({{ as_of() }} - milestones.planned_date, 0)
        end as delay_days,
        milestones.quota_days,
        milestones.street_code,
        milestones.in_registry,
        milestones.note
    from milestones
)

select * from final
