{# Every registry event known at as_of, one row per project version change: upserts with their
   values, and the leave / retract events (no values) that take a project out of the library.
   dim_project builds its type-2 history from these. #}
with

source as (
    select
        events.event_id,
        events.batch_id,
        events.delivered_on,
        events.natural_key,
        events.op,
        events.data
    from {{ source('ledger', 'event') }} as events
    where
        events.feed = 'registry'
        and events.delivered_on <= {{ as_of() }}
),

renamed as (
    select
        source.natural_key as project_code,
        source.op,
        source.data ->> 'project_name' as project_name,
        source.data ->> 'credit_code' as credit_code,
        source.data ->> 'street_code' as street_code,
        source.data ->> 'industry' as industry,
        source.data ->> 'project_kind' as project_kind,
        source.data ->> 'carrier' as carrier,
        (source.data ->> 'planned_investment')::numeric as planned_investment,
        (source.data ->> 'planned_start')::date as planned_start,
        (source.data ->> 'planned_completion')::date as planned_completion,
        (source.data ->> 'planned_production')::date as planned_production,
        (source.data ->> 'registered_on')::date as registered_on,
        (source.data ->> 'committed_tax_per_mu')::numeric as committed_tax_per_mu,
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
)

select * from renamed
