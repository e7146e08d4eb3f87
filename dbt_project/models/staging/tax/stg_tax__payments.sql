{{ config(materialized='table', post_hook='analyze {{ this }}') }}
{# A table, not a view: the largest feed, read by several models and tests.
   Current version of each tax key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('tax') }}
),

renamed as (
    select
        source.data ->> 'credit_code' as credit_code,
        source.data ->> 'taxpayer_name' as taxpayer_name,
        (source.data ->> 'period')::date as period,
        source.data ->> 'tax_type' as tax_type,
        (source.data ->> 'amount_yuan')::numeric as amount_yuan,
        (source.data ->> 'paid_on')::date as paid_on,
        source.data ->> 'street_code' as street_code,
        source.data ->> 'carrier' as carrier,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
