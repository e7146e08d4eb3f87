{# Every lead of the leads ledger known at as_of, with the values of its latest upsert. A lead
   absent from a later full snapshot has left it (derived from the snapshots in delivery order):
   it is kept with its last values and in_ledger false (as dim_project keeps a project that left
   the library); a retracted lead is dropped. #}
with

source as (
    {{ snapshot_history('leads') }}
),

latest as (
    select distinct on (source.natural_key) source.*
    from source
    order by source.natural_key asc, source.delivery_rank desc
),

last_values as (
    select distinct on (source.natural_key)
        source.natural_key,
        source.fact
    from source
    where source.op = 'upsert'
    order by source.natural_key asc, source.delivery_rank desc
),

renamed as (
    select
        latest.natural_key as lead_id,
        {{ lead_columns('last_values') }},
        latest.op = 'upsert' as in_ledger,
        latest.natural_key,
        latest.event_id,
        latest.batch_id,
        latest.delivered_on,
        latest.delivery_rank
    from latest
    inner join last_values on latest.natural_key = last_values.natural_key
    where latest.op in ('upsert', 'leave')
)

select * from renamed
