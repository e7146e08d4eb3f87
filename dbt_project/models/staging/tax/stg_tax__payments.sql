{{ config(materialized='table', post_hook='analyze {{ this }}') }}
{# A table, not a view: the largest feed, read by several models and tests.
   Current version of each tax key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('tax') }}
),

renamed as (
    select
        (source.fact).credit_code as credit_code,
        (source.fact).taxpayer_name as taxpayer_name,
        (source.fact).period as period,
        (source.fact).tax_type as tax_type,
        (source.fact).amount_yuan as amount_yuan,
        (source.fact).paid_on as paid_on,
        (source.fact).street_code as street_code,
        (source.fact).carrier as carrier,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
