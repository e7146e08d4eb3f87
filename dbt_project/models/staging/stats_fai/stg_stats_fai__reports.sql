{# Current version of each stats_fai key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('stats_fai') }}
),

renamed as (
    select
        (source.fact).project_code as project_code,
        (source.fact).period as period,
        (source.fact).month_investment as month_investment,
        (source.fact).cumulative_investment as cumulative_investment,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
