{# Current version of each stats_gdp key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('stats_gdp') }}
),

renamed as (
    select
        (source.data ->> 'period')::date as period,
        (source.data ->> 'gdp')::numeric as gdp,
        (source.data ->> 'fixed_asset_investment')::numeric as fixed_asset_investment,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
