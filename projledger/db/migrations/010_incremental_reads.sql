-- Reading what changed since an earlier read, so that a night's cost follows what arrived, not
-- what is stored. An incremental reader keeps the current state as of its last read (as_of,
-- and the last batch of the feed it saw) and merges in, for every key touched since, the key's
-- current fact: the same fact ledger.current_events gives for it (same delivery order, same
-- duplicates), so the merged state equals a full read whatever the load order.
--
-- A key is touched by a batch that became known since: loaded after the last batch seen, or
-- delivered after the last as_of (a file dated ahead of a night is known only from its date).
-- Feeds whose files are snapshots are excluded: a key can leave one without being touched.
create function ledger.current_events_since(
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
        select distinct e.natural_key from ledger.event as e
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
    )
    select distinct on (f.natural_key) f.*
    from facts as f
    order by f.natural_key, f.delivery_rank desc, f.line_no desc
$$;
