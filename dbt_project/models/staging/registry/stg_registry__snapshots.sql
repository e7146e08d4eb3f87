{# Every registry event known at as_of, one row per project version change: upserts with their
   values, and the leave / retract events (no values) that take a project out of the library.
   dim_project builds its type-2 history from these. #}
with

source as (
    {{ known_events('registry') }}
),

renamed as (
    select
        source.natural_key as project_code,
        source.op,
        {{ registry_columns('source') }},
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
)

select * from renamed
