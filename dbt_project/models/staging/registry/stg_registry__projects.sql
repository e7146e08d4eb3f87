{# Current version of each registry project as known at as_of: keys whose latest event is a
   retract or a leave (absent from a later snapshot) are dropped. #}
with

source as (
    {{ latest_events('registry') }}
),

renamed as (
    select
        (source.fact).project_code as project_code,
        {{ registry_columns('source') }},
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
