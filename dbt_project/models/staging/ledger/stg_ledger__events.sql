{# Event metadata (no values) of every feed known at as_of: what changed when, for incremental
   marts that recompute only the subjects touched since their last build. #}
with

source as (
    select
        events.event_id,
        events.feed,
        events.batch_id,
        events.delivered_on,
        events.natural_key,
        events.op
    from {{ source('ledger', 'event') }} as events
    where events.delivered_on <= {{ as_of() }}
),

renamed as (
    select
        source.event_id,
        source.feed,
        source.batch_id,
        source.delivered_on,
        source.natural_key,
        split_part(source.natural_key, '|', 1) as key_head,
        source.op
    from source
)

select * from renamed
