{# Current version of each hitech key (credit_code, certificate_no) as known at as_of (retracted
   keys dropped). #}
with

source as (
    {{ latest_events('hitech') }}
),

renamed as (
    select
        (source.fact).credit_code as credit_code,
        (source.fact).enterprise_name as enterprise_name,
        (source.fact).certificate_no as certificate_no,
        (source.fact).certified_on as certified_on,
        (source.fact).valid_until as valid_until,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
    where source.op = 'upsert'
)

select * from renamed
