{# Every lead of the leads ledger known at as_of, with the values of its latest upsert. A lead
   absent from a later full snapshot has left it (derived from the snapshots in delivery order):
   it is kept with its last values and in_ledger false (as dim_project keeps a project that left
   the library); a retracted lead is dropped. #}
with

source as (
    {{ snapshot_history('leads') }}
),

-- per lead its latest state, with the fact of its latest upsert (a leave or a retraction
-- carries no values; one always follows an upsert): one pass over the history, not a join of
-- the history with itself
ranked as (
    select
        source.*,
        first_value(source.fact) over (
            partition by source.natural_key
            order by source.op = 'upsert' desc, source.delivery_rank desc
        ) as upserted_fact
    from source
),

latest as (
    select distinct on (ranked.natural_key)
        ranked.natural_key,
        ranked.op,
        ranked.upserted_fact as fact,
        ranked.event_id,
        ranked.batch_id,
        ranked.delivered_on,
        ranked.delivery_rank
    from ranked
    order by ranked.natural_key asc, ranked.delivery_rank desc
),

renamed as (
    select
        latest.natural_key as lead_id,
        {{ lead_columns('latest') }},
        latest.op = 'upsert' as in_ledger,
        latest.natural_key,
        latest.event_id,
        latest.batch_id,
        latest.delivered_on,
        latest.delivery_rank
    from latest
    where latest.op in ('upsert', 'leave')
)

select * from renamed
