{# The registry's history known at as_of, derived from the snapshots delivered by then: per
   project, one row per snapshot delivery that changed it: upserts with their values, and the
   leave (absent from a snapshot) / retract rows (no values) that take it out of the library. An
   unchanged re-send adds no row; a quarantined row keeps the previous version. dim_project builds
   its type-2 history from these. delivery_rank orders deliveries (never load order). #}
with

source as (
    {{ snapshot_history('registry') }}
),

renamed as (
    select
        source.natural_key as project_code,
        source.op,
        {{ registry_columns('source') }},
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
)

select * from renamed
