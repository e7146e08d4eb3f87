-- Every delivered row is a fact; changes, leaves and the current state are derived when
-- reading as of a date. Ingest no longer looks at the store to decide what a row means, so
-- the state as of a date depends only on the files delivered by then, never on the order in
-- which they were loaded. Versions are ordered by delivery: (delivered_on, delivery_seq,
-- file_name, then sha256 for a file re-delivered under its name with other content, line_no),
-- never by load order (batch_id, event_id).

-- A snapshot feed's file is the whole set as of its delivery date (feed contract flag).
alter table ledger.batch add column snapshot boolean not null default false;
alter table ledger.batch disable trigger batch_append_only;
update ledger.batch set snapshot = true where feed = 'registry';
alter table ledger.batch enable trigger batch_append_only;

-- The key of a quarantined row (trimmed cells, as delivered): in a snapshot the key is
-- present, so it keeps its previous version instead of leaving.
alter table ledger.rejected_row add column natural_key text;

-- Nothing reads an event by key at load time any more; reads scan a feed's partition. Batches
-- are appended in batch_id order, so a BRIN index finds one batch's rows for almost no cost
-- on write (two btrees were a third of the insert time).
drop index if exists ledger.event_key_ix;
drop index if exists ledger.event_batch_ix;
create index event_batch_brin on ledger.event using brin (batch_id);

-- The deliveries of a feed known at p_as_of that carry rows, in delivery order, each with
-- the batch holding its rows. A non-snapshot file whose content was also delivered earlier
-- is a duplicate, whichever was loaded first. A snapshot recorded as a duplicate of the one
-- before it re-delivers that content on its own date.
create function ledger.deliveries(p_feed text, p_as_of date)
returns table (
    batch_id bigint,
    content_batch_id bigint,
    delivered_on date,
    delivery_seq integer,
    file_name text,
    snapshot boolean,
    delivery_rank bigint
)
language sql stable as $$
    with known as (
        select b.*
        from ledger.batch as b
        where b.feed = p_feed and b.delivered_on <= p_as_of
          and b.status in ('loaded', 'duplicate')
    )
    select
        k.batch_id,
        coalesce(k.duplicate_of, k.batch_id),
        k.delivered_on,
        k.delivery_seq,
        k.file_name,
        k.snapshot,
        row_number() over (order by k.delivered_on, k.delivery_seq, k.file_name, k.sha256)
    from known as k
    where case
        when k.snapshot then true
        else k.status = 'loaded' and not exists (
            select 1 from known as e
            where e.status = 'loaded' and e.sha256 = k.sha256
              and (e.delivered_on, e.delivery_seq, e.file_name, e.sha256)
                  < (k.delivered_on, k.delivery_seq, k.file_name, k.sha256)
        )
    end
$$;

-- The batch ledger as known at p_as_of, each file with the status it has in delivery order,
-- whatever the load order: a file repeating an earlier delivery of the same content (for a
-- snapshot: the snapshot just before it) reads as the duplicate it would have been in date
-- order, with the fields a duplicate is recorded with; a snapshot recorded as a duplicate
-- when its neighbour had not arrived yet reads as loaded, with the counts of the batch that
-- holds its rows (content_batch_id). duplicate_of names the first delivery of the content.
create function ledger.batches(p_as_of date)
returns table (
    batch_id bigint,
    content_batch_id bigint,
    status text,
    duplicate_of bigint,
    reason text,
    detail text,
    encoding text,
    header jsonb,
    rows_total integer,
    rows_loaded integer,
    rows_rejected integer,
    events_added integer
)
language sql stable as $$
    with known as (
        select b.*,
               coalesce(b.duplicate_of, b.batch_id) as content_id,
               b.status in ('loaded', 'duplicate') as delivered
        from ledger.batch as b
        where b.delivered_on <= p_as_of
    ),
    ordered as (
        select k.*, lag(k.sha256) over w as prev_sha
        from known as k
        window w as (
            partition by k.feed, k.delivered
            order by k.delivered_on, k.delivery_seq, k.file_name, k.sha256
        )
    ),
    runs as (
        select o.*,
               count(*) filter (where o.prev_sha is distinct from o.sha256) over w as run
        from ordered as o
        window w as (
            partition by o.feed, o.delivered
            order by o.delivered_on, o.delivery_seq, o.file_name, o.sha256
        )
    ),
    judged as (
        select r.*,
               case
                   when not r.delivered then null
                   when r.snapshot then case when r.prev_sha = r.sha256 then first_value(
                       r.batch_id
                   ) over (
                       partition by r.feed, r.delivered, r.run
                       order by r.delivered_on, r.delivery_seq, r.file_name, r.sha256
                   ) end
                   else (
                       select e.batch_id from known as e
                       where e.feed = r.feed and e.delivered and e.sha256 = r.sha256
                         and (e.delivered_on, e.delivery_seq, e.file_name)
                             < (r.delivered_on, r.delivery_seq, r.file_name)
                       order by e.delivered_on, e.delivery_seq, e.file_name
                       limit 1
                   )
               end as repeats
        from runs as r
    )
    select
        j.batch_id,
        j.content_id,
        case
            when not j.delivered then j.status
            when j.repeats is not null then 'duplicate'
            else 'loaded'
        end,
        j.repeats,
        case when j.repeats is not null then 'duplicate' else c.reason end,
        case when j.repeats is not null then 'same content as batch ' || j.repeats
             else c.detail end,
        case when j.repeats is null then c.encoding end,
        case when j.repeats is null then c.header end,
        case when j.repeats is null then c.rows_total else 0 end,
        case when j.repeats is null then c.rows_loaded else 0 end,
        case when j.repeats is null then c.rows_rejected else 0 end,
        case when j.repeats is null then c.events_added else 0 end
    from judged as j
    inner join ledger.batch as c on c.batch_id = j.content_id
$$;

-- The current fact of every key of a feed as known at p_as_of: the last delivered row of
-- the key (retractions included; callers keep op = 'upsert'). For a snapshot feed only the
-- keys present in the latest snapshot count; a key whose row there was quarantined keeps its
-- previous version.
create function ledger.current_events(p_feed text, p_as_of date)
returns table (
    event_id bigint,
    batch_id bigint,
    delivered_on date,
    delivery_rank bigint,
    line_no integer,
    natural_key text,
    op text,
    data jsonb
)
language sql stable as $$
    with delivered as (
        select * from ledger.deliveries(p_feed, p_as_of)
    ),
    facts as (
        select e.event_id, d.batch_id, d.delivered_on, d.delivery_rank, e.line_no,
               e.natural_key, e.op, e.data
        from ledger.event as e
        inner join delivered as d on e.batch_id = d.content_batch_id
        where e.feed = p_feed
    ),
    latest as (
        select distinct on (f.natural_key) f.*
        from facts as f
        order by f.natural_key, f.delivery_rank desc, f.line_no desc
    ),
    last_snapshot as (
        select d.content_batch_id from delivered as d
        where d.snapshot
        order by d.delivery_rank desc
        limit 1
    ),
    present as (
        select e.natural_key from ledger.event as e
        where e.feed = p_feed and e.batch_id = (select content_batch_id from last_snapshot)
        union
        select r.natural_key from ledger.rejected_row as r
        where r.batch_id = (select content_batch_id from last_snapshot)
    )
    select l.*
    from latest as l
    where not exists (select 1 from last_snapshot)
       or l.natural_key in (select p.natural_key from present as p)
$$;

-- The history of a snapshot feed as known at p_as_of: per key, its state at each snapshot
-- delivery where that state changed: 'upsert' with the values, 'retract', or 'leave' (a live
-- key absent from the snapshot). A quarantined row keeps the key's previous state; an
-- unchanged re-send is no change.
create function ledger.snapshot_history(p_feed text, p_as_of date)
returns table (
    natural_key text,
    op text,
    data jsonb,
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
    rows_in as (
        select s.idx, e.natural_key, e.op, e.data, e.event_id, e.line_no, true as good
        from snaps as s
        inner join ledger.event as e on e.batch_id = s.content_batch_id
        where e.feed = p_feed
        union all
        select s.idx, r.natural_key, 'carry', null, null, r.line_no, false
        from snaps as s
        inner join ledger.rejected_row as r on r.batch_id = s.content_batch_id
        where r.natural_key is not null
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
        select g.idx, g.natural_key, g.op, g.data, g.event_id from gaps as g
        union all
        select g.idx + 1, g.natural_key, 'leave', null, null
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
               first_value(gr.data) over head as data,
               first_value(gr.event_id) over head as event_id
        from grouped as gr
        window head as (partition by gr.natural_key, gr.grp order by gr.idx)
    ),
    compared as (
        select rs.*,
               lag(rs.op) over w as prev_op,
               lag(rs.data) over w as prev_data,
               lag(rs.event_id) over w as prev_event_id
        from resolved as rs
        where rs.op <> 'carry'
        window w as (partition by rs.natural_key order by rs.idx)
    )
    -- a leave or retract names the fact whose values it ends
    select c.natural_key, c.op, c.data, coalesce(c.event_id, c.prev_event_id), s.batch_id, s.delivered_on, s.delivery_rank
    from compared as c
    inner join snaps as s on s.idx = c.idx
    where (c.op, c.data) is distinct from (c.prev_op, c.prev_data)
      and (c.op = 'upsert' or c.prev_op = 'upsert')
$$;

-- What changed when, as known at p_as_of, for any feed: per key, each delivered fact whose
-- op or values differ from the key's previous one (an unchanged re-send is no change); for a
-- snapshot feed, its snapshot history (leaves included).
create function ledger.changes(p_feed text, p_as_of date)
returns table (
    natural_key text,
    op text,
    data jsonb,
    event_id bigint,
    batch_id bigint,
    delivered_on date,
    delivery_rank bigint
)
language sql stable as $$
    with facts as (
        select e.natural_key, e.op, e.data, e.event_id, d.batch_id, d.delivered_on,
               d.delivery_rank, e.line_no
        from ledger.deliveries(p_feed, p_as_of) as d
        inner join ledger.event as e on e.batch_id = d.content_batch_id
        where e.feed = p_feed and not d.snapshot
    ),
    compared as (
        select f.*, lag(f.op) over w as prev_op, lag(f.data) over w as prev_data
        from facts as f
        window w as (partition by f.natural_key order by f.delivery_rank, f.line_no)
    )
    select c.natural_key, c.op, c.data, c.event_id, c.batch_id, c.delivered_on, c.delivery_rank
    from compared as c
    where (c.op, c.data) is distinct from (c.prev_op, c.prev_data)
      and (c.op = 'upsert' or c.prev_op = 'upsert')
    union all
    select * from ledger.snapshot_history(p_feed, p_as_of)
$$;
