{# The current fact of every key of one feed as known at the run's as_of (knowledge time is the
   delivery date; versions ordered by delivery, never by load order). For a snapshot feed only
   the keys present in the latest snapshot count. The caller keeps op = 'upsert' (a key whose
   latest fact is a retraction is gone). The derivation lives in the event store
   (ledger.current_events, projledger/db/migrations/009_typed_facts.sql). #}
{% macro latest_events(feed) -%}
    select
        current_events.event_id,
        current_events.batch_id,
        current_events.delivered_on,
        current_events.delivery_rank,
        current_events.natural_key,
        current_events.op,
        current_events.fact
    from ledger.current_events('{{ feed }}', {{ as_of() }}) as current_events
{%- endmacro %}

{# The history of a snapshot feed as known at as_of: per key, one row per delivery where its
   state changed (upsert with values, retract, leave). #}
{% macro snapshot_history(feed) -%}
    select
        history.event_id,
        history.batch_id,
        history.delivered_on,
        history.delivery_rank,
        history.natural_key,
        history.op,
        history.fact
    from ledger.snapshot_history('{{ feed }}', {{ as_of() }}) as history
{%- endmacro %}
