{# Every lead of the leads ledger known at as_of, with the values of its latest upsert. A lead
   absent from a later full snapshot got a leave event: it is kept with its last values and
   in_ledger false (as dim_project keeps a project that left the library); a retracted lead is
   dropped. #}
with

source as (
    {{ latest_events('leads') }}
),

known as (
    {{ known_events('leads') }}
),

last_values as (
    select distinct on (known.natural_key)
        known.natural_key,
        known.data
    from known
    where known.op = 'upsert'
    order by known.natural_key asc, known.delivered_on desc, known.event_id desc
),

renamed as (
    select
        source.natural_key as lead_id,
        {{ lead_columns('last_values') }},
        source.op = 'upsert' as in_ledger,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
    inner join last_values on source.natural_key = last_values.natural_key
    where source.op in ('upsert', 'leave')
)

select * from renamed
