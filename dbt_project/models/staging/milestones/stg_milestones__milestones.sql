{# Current version of each milestones key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('milestones') }}
),

renamed as (
    select
        source.data ->> 'project_code' as project_code,
        source.data ->> 'node' as node,
        (source.data ->> 'planned_date')::date as planned_date,
        (source.data ->> 'actual_date')::date as actual_date,
        (source.data ->> 'reported_on')::date as reported_on,
        source.data ->> 'note' as note,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
