-- A feed's period, where it has one, is part of its key (tests/unit/test_contracts_periods.py):
-- every fact of a touched key lies in that key's period. The night's merge reads the touched
-- keys' facts only from the blocks holding their periods, found by a BRIN index (a few pages,
-- nearly free to keep), instead of scanning the whole partition.
create index event_period_brin on ledger.event using brin (period);

-- Ranges written since the last summary are not in a BRIN index yet (every read takes them
-- whole): summarized before a night reads the store (macro analyze_ledger).
create function ledger.summarize_new_ranges() returns void
language sql volatile as $$
    select brin_summarize_new_values(i.indexrelid::regclass)
    from pg_index as i
    inner join pg_inherits as p on p.inhrelid = i.indrelid
    inner join pg_class as c on c.oid = i.indexrelid
    inner join pg_am as a on a.oid = c.relam
    where p.inhparent = 'ledger.event'::regclass and a.amname = 'brin'
$$;

create or replace function ledger.current_events_since(
    p_feed text, p_as_of date, p_since_as_of date, p_since_batch bigint
)
returns table (
    event_id bigint,
    batch_id bigint,
    delivered_on date,
    delivery_rank bigint,
    line_no integer,
    natural_key text,
    op text,
    fact ledger.event
)
language sql stable as $$
    with arrived as (
        select b.batch_id from ledger.batch as b
        where b.feed = p_feed and b.delivered_on <= p_as_of and not b.snapshot
          and (b.batch_id > p_since_batch or b.delivered_on > p_since_as_of)
    ),
    touched as (
        select distinct e.natural_key, e.period from ledger.event as e
        where e.feed = p_feed and e.batch_id in (select a.batch_id from arrived as a)
    ),
    delivered as (
        select * from ledger.deliveries(p_feed, p_as_of)
    ),
    facts as (
        select e.event_id, d.batch_id, d.delivered_on, d.delivery_rank, e.line_no,
               e.natural_key, e.op, e as fact
        from ledger.event as e
        inner join delivered as d on e.batch_id = d.content_batch_id
        where e.feed = p_feed and e.natural_key in (select t.natural_key from touched as t)
          and (e.period = any(array(select distinct t.period from touched as t))
               or e.period is null)
    )
    select distinct on (f.natural_key) f.*
    from facts as f
    order by f.natural_key, f.delivery_rank desc, f.line_no desc
$$;
