{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[{'columns': ['built_as_of', 'read_snapshots']}],
    pre_hook="{% if is_incremental() %}{{ snapshot_history_reset('registry') }}{% endif %}",
    post_hook="{{ analyze_if_stale() }}",
) }}
{# The registry's history known at as_of, derived from the snapshots delivered by then: per
   project, one row per snapshot delivery that changed it: upserts with their values, and the
   leave (absent from a snapshot) / retract rows (no values) that take it out of the library. An
   unchanged re-send adds no row; a quarantined row keeps the previous version. dim_project builds
   its type-2 history from these. delivery_rank orders deliveries (never load order). Kept
   incrementally: a night adds the rows of the snapshots delivered after those it has read; a
   build for an earlier as_of, or a snapshot delivered before the last one read, derives the
   whole history again. #}
{{ kept_snapshot_history(
    'registry', snapshots_read('registry'), 'project_code', registry_columns('source')
) }}
