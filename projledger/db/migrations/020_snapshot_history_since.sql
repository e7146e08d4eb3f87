-- A snapshot feed's history, read from the snapshots that arrived.
--
-- The registry and the leads arrive as weekly full snapshots, and their history was derived
-- from every snapshot each night: a night's cost grew by a snapshot a week, whatever arrived.
-- An incremental reader now names how many snapshots (in delivery order) its rows already
-- derive, and the last of them. The history is then derived from that snapshot on: each key's
-- state there is where the new snapshots' changes start from. A key only quarantined in that
-- snapshot keeps its fact of the last snapshot that delivered it whole, when every snapshot
-- since carried it (quarantined it too).
-- With p_after 0 the whole history is derived, as before.
--
-- The reader decides p_after before its statement runs. Should a snapshot delivered before its
-- last read one arrive in between (an ingest beside the build), the rows from p_after on are no
-- longer the history's next rows: the statement stops rather than write them, and the next
-- build derives the whole history again.

create function ledger.snapshot_read_stale(p_feed text, p_after bigint)
returns boolean
-- stable (it reads nothing and writes nothing): the history's body stays free of volatile calls
language plpgsql stable as $$
begin
    raise exception 'a % snapshot delivered before snapshot % arrived during this read; '
        'build again to derive the whole history', p_feed, p_after;
end;
$$;

drop function ledger.snapshot_history(text, date);

create function ledger.snapshot_history(
    p_feed text, p_as_of date, p_after bigint default 0, p_after_batch bigint default null
)
returns table (
    natural_key text,
    op text,
    fact ledger.event,
    event_id bigint,
    batch_id bigint,
    delivered_on date,
    delivery_rank bigint
)
language sql stable as $$
    with snaps as (
        select d.*, row_number() over (order by d.delivery_rank) as idx
        from ledger.deliveries(p_feed, p_as_of) as d
        where d.snapshot
    ),
    read as (
        select s.* from snaps as s where s.idx >= p_after
    ),
    -- keys only quarantined in the snapshot the read starts from: each keeps its fact of the
    -- last snapshot before that delivered it whole, if every snapshot since carried it (else it
    -- left in between). Set-based: the snapshots' quarantined rows are read once, not per key.
    quarantined as (
        select s.idx, r.natural_key
        from snaps as s
        inner join ledger.rejected_row as r on r.batch_id = s.content_batch_id
        where p_after > 1 and s.idx <= p_after and r.natural_key is not null
        group by s.idx, r.natural_key
    ),
    carried_keys as (
        select q.natural_key from quarantined as q
        where q.idx = p_after
        except
        select e.natural_key
        from snaps as s
        inner join ledger.event as e on e.batch_id = s.content_batch_id
        where e.feed = p_feed and s.idx = p_after
    ),
    last_whole as (
        select distinct on (e.natural_key) s.idx, e.natural_key, e
        from carried_keys as k
        inner join ledger.event as e on e.natural_key = k.natural_key
        inner join snaps as s on s.content_batch_id = e.batch_id
        where e.feed = p_feed and s.idx < p_after
        order by e.natural_key, s.idx desc, e.line_no desc
    ),
    carried_since as (
        select w.natural_key, count(q.idx) as snapshots
        from last_whole as w
        left join quarantined as q
            on q.natural_key = w.natural_key and q.idx > w.idx and q.idx < p_after
        group by w.natural_key
    ),
    carried as (
        select w.e
        from last_whole as w
        inner join carried_since as c on c.natural_key = w.natural_key
        where c.snapshots = p_after - w.idx - 1
    ),
    rows_in as (
        select s.idx, e.natural_key, e.op, e as fact, ledger.fact_row(e) as vals,
               e.event_id, e.line_no, true as good
        from read as s
        inner join ledger.event as e on e.batch_id = s.content_batch_id
        where e.feed = p_feed
        union all
        select s.idx, r.natural_key, 'carry', null, null, null, r.line_no, false
        from read as s
        inner join ledger.rejected_row as r on r.batch_id = s.content_batch_id
        where r.natural_key is not null
        union all
        select p_after, (c.e).natural_key, (c.e).op, c.e, ledger.fact_row(c.e),
               (c.e).event_id, (c.e).line_no, true
        from carried as c
    ),
    presence as (
        select distinct on (r.natural_key, r.idx) r.*
        from rows_in as r
        order by r.natural_key, r.idx, r.good desc, r.line_no desc
    ),
    gaps as (
        select p.*, lead(p.idx) over (partition by p.natural_key order by p.idx) as next_idx
        from presence as p
    ),
    states as (
        select g.idx, g.natural_key, g.op, g.fact, g.vals, g.event_id from gaps as g
        union all
        select g.idx + 1, g.natural_key, 'leave', null, null, null
        from gaps as g
        where g.idx < (select max(s.idx) from snaps as s)
          and (g.next_idx is null or g.next_idx > g.idx + 1)
    ),
    grouped as (
        select st.*,
               count(*) filter (where st.op <> 'carry') over (
                   partition by st.natural_key order by st.idx
               ) as grp
        from states as st
    ),
    resolved as (
        select gr.idx, gr.natural_key,
               first_value(gr.op) over head as op,
               first_value(gr.fact) over head as fact,
               first_value(gr.vals) over head as vals,
               first_value(gr.event_id) over head as event_id
        from grouped as gr
        window head as (partition by gr.natural_key, gr.grp order by gr.idx)
    ),
    compared as (
        select rs.*,
               lag(rs.op) over w as prev_op,
               lag(rs.vals) over w as prev_vals,
               lag(rs.event_id) over w as prev_event_id
        from resolved as rs
        where rs.op <> 'carry'
        window w as (partition by rs.natural_key order by rs.idx)
    )
    -- a leave or retract names the fact whose values it ends
    select c.natural_key, c.op, c.fact, coalesce(c.event_id, c.prev_event_id), s.batch_id,
           s.delivered_on, s.delivery_rank
    from compared as c
    inner join snaps as s on s.idx = c.idx
    where (c.op, c.vals) is distinct from (c.prev_op, c.prev_vals)
      and (c.op = 'upsert' or c.prev_op = 'upsert')
      and c.idx > p_after
      and (
          p_after = 0
          or (select s0.idx from snaps as s0 where s0.batch_id = p_after_batch) = p_after
          or ledger.snapshot_read_stale(p_feed, p_after)
      )
$$;
