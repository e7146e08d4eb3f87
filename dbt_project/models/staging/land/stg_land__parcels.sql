{# Current version of each land key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('land') }}
),

renamed as (
    select
        source.data ->> 'parcel_no' as parcel_no,
        source.data ->> 'project_code' as project_code,
        source.data ->> 'credit_code' as credit_code,
        source.data ->> 'street_code' as street_code,
        source.data ->> 'land_use' as land_use,
        (source.data ->> 'area_m2')::numeric as area_m2,
        (source.data ->> 'contract_signed_on')::date as contract_signed_on,
        (source.data ->> 'price')::numeric as price,
        (source.data ->> 'agreed_start')::date as agreed_start,
        (source.data ->> 'agreed_completion')::date as agreed_completion,
        (source.data ->> 'actual_start')::date as actual_start,
        (source.data ->> 'actual_completion')::date as actual_completion,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
