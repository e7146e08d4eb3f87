{# Current version of each stats_enterprise key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('stats_enterprise') }}
),

renamed as (
    select
        (source.fact).credit_code as credit_code,
        (source.fact).period as period,
        (source.fact).output_value as output_value,
        (source.fact).revenue as revenue,
        (source.fact).above_scale as above_scale,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
