{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['built_as_of', 'read_snapshots']}],
    pre_hook="{% if is_incremental() %}{{ snapshot_history_reset('leads') }}{% endif %}",
    post_hook="analyze {{ this }}",
) }}
{# The leads ledger's history known at as_of, derived from its weekly full snapshots as the
   registry's is (stg_registry__snapshots): per lead, one row per snapshot delivery that changed
   it (upsert with its values, leave, retract), kept incrementally. #}
with

source as (
    {{ snapshot_history('leads', snapshots_read('leads')) }}
),

read_position as (
    {{ snapshots_read_position('leads') }}
),

renamed as (
    select
        source.natural_key as lead_id,
        source.op,
        {{ lead_columns('source') }},
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank,
        {{ as_of() }} as built_as_of,
        read_position.read_snapshots,
        read_position.read_through_batch
    from source
    cross join read_position
)

select * from renamed
