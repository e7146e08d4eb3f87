{# Current version of each approvals key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('approvals') }}
),

renamed as (
    select
        source.data ->> 'project_code' as project_code,
        source.data ->> 'project_name' as project_name,
        source.data ->> 'credit_code' as credit_code,
        source.data ->> 'item' as item,
        (source.data ->> 'accepted_on')::date as accepted_on,
        (source.data ->> 'decided_on')::date as decided_on,
        source.data ->> 'result' as result,
        (source.data ->> 'total_investment')::numeric as total_investment,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
