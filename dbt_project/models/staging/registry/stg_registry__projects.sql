{# Current version of each registry project as known at as_of: keys whose latest event is a
   retract or a leave (absent from a later snapshot) are dropped. #}
with

source as (
    {{ latest_events('registry') }}
),

renamed as (
    select
        source.data ->> 'project_code' as project_code,
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
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
    where source.op = 'upsert'
)

select * from renamed
