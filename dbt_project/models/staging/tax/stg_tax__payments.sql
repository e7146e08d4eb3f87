{{ config(
    materialized='incremental',
    unique_key='natural_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[
        {'columns': ['natural_key'], 'unique': True},
        {'columns': ['credit_code']},
        {'columns': ['built_as_of', 'built_through_batch']},
    ],
    pre_hook="{% if is_incremental() %}{{ forget_if_replayed() }}{% endif %}",
    post_hook=[
        "{{ delete_from_last_read(this, \"merged.op <> 'upsert'\") }}",
        "{{ analyze_if_stale() }}",
    ],
) }}
{# Current version of each tax key as known at as_of (retracted keys dropped). The largest feed:
   kept as a table that a night updates with the keys touched by what arrived since the last
   build (ledger.current_events_since), instead of re-deriving every key from every fact; a
   build for an earlier as_of than the last one, or --full-refresh, derives it whole. Indexed
   by natural_key (unique: the night's merge looks keys up, and the key's guarantee is checked
   on write), by credit_code (marts that read only some enterprises' rows) and by the read
   that wrote each row (the last read is found, and its retractions dropped, without a scan). #}
with

source as (
    {% if is_incremental() -%}
        {% set since = last_read_literals(this) %}
        {{ latest_events_since('tax', since) }}
    {%- else -%}
        {{ latest_events('tax') }}
    {%- endif %}
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
        -- folded once here, for the carrier rules that compare names over every tax row
        {{ fold_name('(source.fact).carrier') }} as carrier_folded,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        -- a retraction is merged like a change, then dropped (post-hook)
        source.op,
        {{ read_through('tax') }}
    from source
)

select * from renamed
