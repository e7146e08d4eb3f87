{# Latest state of every project's milestone nodes. delay_days (macro node_delay_days, as the
   node_overdue rule): days the node is late at as_of (not met by as_of and past its planned
   date) or was late (met after its planned date); 0 when on time. actual_date is as reported:
   one after as_of has not happened yet. #}
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
        {{ node_delay_days('milestones.planned_date', 'milestones.actual_date') }} as delay_days,
        milestones.quota_days,
        milestones.street_code,
        milestones.in_registry,
        milestones.note
    from milestones
)

select * from final
