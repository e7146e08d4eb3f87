{# Every lead of the leads ledger known at as_of, with the values of its latest upsert. A lead
   absent from a later full snapshot has left it (derived from the snapshots in delivery order):
   it is kept with its last values and in_ledger false (as dim_project keeps a project that left
   the library); a retracted lead is dropped. #}
with

history as (
    select * from {{ ref('stg_leads__snapshots') }}
),

-- per lead its latest state
latest as (
    select distinct on (history.lead_id) history.*
    from history
    order by history.lead_id asc, history.delivery_rank desc
),

-- and the values of its latest upsert (a leave or a retraction carries none; one always
-- follows an upsert)
upserted as (
    select distinct on (history.lead_id) history.*
    from history
    where history.op = 'upsert'
    order by history.lead_id asc, history.delivery_rank desc
),

renamed as (
    select
        latest.lead_id,
        {%- for column in lead_column_names() %}
            upserted.{{ column }},
        {%- endfor %}
        latest.op = 'upsert' as in_ledger,
        latest.lead_id as natural_key,
        latest.event_id,
        latest.batch_id,
        latest.delivered_on,
        latest.delivery_rank
    from latest
    inner join upserted on latest.lead_id = upserted.lead_id
    where latest.op in ('upsert', 'leave')
)

select * from renamed
