{# Current version of each stats_gdp key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('stats_gdp') }}
),

renamed as (
    select
        (source.fact).period as period,
        (source.fact).gdp as gdp,
        (source.fact).fixed_asset_investment as fixed_asset_investment,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
