{# The latest event of every natural key of one feed as known at the run's as_of: knowledge time
   is the delivery date, ties within a day broken by event_id. The caller keeps the live ops
   (a key whose latest op is retract, or leave for the registry, is gone). #}
{% macro latest_events(feed) -%}
    select distinct on (events.natural_key)
        events.event_id,
        events.batch_id,
        events.delivered_on,
        events.natural_key,
        events.op,
        events.data
    from {{ source('ledger', 'event') }} as events
    where
        events.feed = '{{ feed }}'
        and events.delivered_on <= {{ as_of() }}
    order by events.natural_key asc, events.delivered_on desc, events.event_id desc
{%- endmacro %}
