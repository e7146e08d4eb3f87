{# Current version of each lead as known at as_of: keys whose latest event is a retract or a
   leave (absent from a later full snapshot) are dropped. #}
with

source as (
    {{ latest_events('leads') }}
),

renamed as (
    select
        source.data ->> 'lead_id' as lead_id,
        source.data ->> 'project_name' as project_name,
        source.data ->> 'investor' as investor,
        source.data ->> 'credit_code' as credit_code,
        source.data ->> 'sourcing_unit' as sourcing_unit,
        source.data ->> 'street_code' as street_code,
        source.data ->> 'industry' as industry,
        (source.data ->> 'intended_investment')::numeric as intended_investment,
        source.data ->> 'stage' as stage,
        (source.data ->> 'first_contact_on')::date as first_contact_on,
        (source.data ->> 'signed_on')::date as signed_on,
        source.data ->> 'project_code' as project_code,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
    where source.op = 'upsert'
)

select * from renamed
