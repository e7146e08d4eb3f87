{# Current version of each stats_enterprise key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('stats_enterprise') }}
),

renamed as (
    select
        source.data ->> 'credit_code' as credit_code,
        (source.data ->> 'period')::date as period,
        (source.data ->> 'output_value')::numeric as output_value,
        (source.data ->> 'revenue')::numeric as revenue,
        source.data ->> 'above_scale' as above_scale,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
