{# Every event of one feed known at the run's as_of (knowledge time is the delivery date). #}
{% macro known_events(feed) -%}
    select
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
{%- endmacro %}

{# The latest of those events for every natural key, ties within a day broken by event_id. The
   caller keeps the live ops (a key whose latest op is retract, or leave for the registry, is
   gone). #}
{% macro latest_events(feed) -%}
    select distinct on (known.natural_key) known.*
    from ({{ known_events(feed) }}) as known
    order by known.natural_key asc, known.delivered_on desc, known.event_id desc
{%- endmacro %}
