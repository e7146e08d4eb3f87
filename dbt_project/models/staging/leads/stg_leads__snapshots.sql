{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['built_as_of', 'read_snapshots']}],
    pre_hook="{% if is_incremental() %}{{ snapshot_history_reset('leads') }}{% endif %}",
    post_hook="{{ analyze_if_stale() }}",
) }}
{# The leads ledger's history known at as_of, derived from its weekly full snapshots as the
   registry's is (stg_registry__snapshots): per lead, one row per snapshot delivery that changed
   it (upsert with its values, leave, retract), kept incrementally. #}
{{ kept_snapshot_history(
    'leads', snapshots_read('leads'), 'lead_id', lead_columns('source')
) }}
