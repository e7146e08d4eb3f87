{# Current version of each approvals key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('approvals') }}
),

renamed as (
    select
        (source.fact).project_code as project_code,
        (source.fact).project_name as project_name,
        (source.fact).credit_code as credit_code,
        (source.fact).item as item,
        (source.fact).accepted_on as accepted_on,
        (source.fact).decided_on as decided_on,
        (source.fact).result as result,
        (source.fact).total_investment as total_investment,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
