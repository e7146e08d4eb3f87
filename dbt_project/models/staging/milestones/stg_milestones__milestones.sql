{# Current version of each milestones key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('milestones') }}
),

renamed as (
    select
        (source.fact).project_code as project_code,
        (source.fact).node as node,
        (source.fact).planned_date as planned_date,
        (source.fact).actual_date as actual_date,
        (source.fact).reported_on as reported_on,
        (source.fact).note as note,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
