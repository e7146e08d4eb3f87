{# Current version of each land key as known at as_of (retracted keys dropped). #}
with

source as (
    {{ latest_events('land') }}
),

renamed as (
    select
        (source.fact).parcel_no as parcel_no,
        (source.fact).project_code as project_code,
        (source.fact).credit_code as credit_code,
        (source.fact).street_code as street_code,
        (source.fact).land_use as land_use,
        (source.fact).area_m2 as area_m2,
        (source.fact).contract_signed_on as contract_signed_on,
        (source.fact).price as price,
        (source.fact).agreed_start as agreed_start,
        (source.fact).agreed_completion as agreed_completion,
        (source.fact).actual_start as actual_start,
        (source.fact).actual_completion as actual_completion,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank
    from source
    where source.op = 'upsert'
)

select * from renamed
