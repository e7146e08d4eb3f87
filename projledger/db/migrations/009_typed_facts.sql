-- Typed facts: each delivered row stores its values in typed columns, one per contract column
-- (ingest/feeds/contracts.py; a column name has one kind in every feed), instead of a jsonb
-- of values plus the raw cells. A feed's rows leave the other feeds' columns null, which costs
-- a bit each in the null bitmap. Writing typed values needs no jsonb build, reading them no
-- cast; a batch takes about a third of the bytes it took.
--
-- Unknown columns and cells beyond the header stay with the row in `extra` (header -> cell;
-- null when the file had none). Rows loaded before this migration keep their cells in `raw`.

-- The readers of 004 return a new type; views of the warehouse built on them are dropped with
-- them and rebuilt by the next dbt run, which always follows a migration.
drop function ledger.changes(text, date) cascade;
drop function ledger.snapshot_history(text, date) cascade;
drop function ledger.current_events(text, date) cascade;

alter table ledger.event
    add column project_code text,
    add column project_name text,
    add column credit_code text,
    add column street_code text,
    add column industry text,
    add column project_kind text,
    add column carrier text,
    add column planned_investment numeric,
    add column planned_start date,
    add column planned_completion date,
    add column planned_production date,
    add column registered_on date,
    add column committed_tax_per_mu numeric,
    add column node text,
    add column planned_date date,
    add column actual_date date,
    add column reported_on date,
    add column note text,
    add column item text,
    add column accepted_on date,
    add column decided_on date,
    add column result text,
    add column total_investment numeric,
    add column parcel_no text,
    add column land_use text,
    add column area_m2 numeric,
    add column contract_signed_on date,
    add column price numeric,
    add column agreed_start date,
    add column agreed_completion date,
    add column actual_start date,
    add column actual_completion date,
    add column period date,
    add column month_investment numeric,
    add column cumulative_investment numeric,
    add column output_value numeric,
    add column revenue numeric,
    add column above_scale text,
    add column gdp numeric,
    add column fixed_asset_investment numeric,
    add column taxpayer_name text,
    add column tax_type text,
    add column amount_yuan numeric,
    add column paid_on date,
    add column lead_id text,
    add column investor text,
    add column sourcing_unit text,
    add column intended_investment numeric,
    add column stage text,
    add column first_contact_on date,
    add column signed_on date,
    add column carrier_name text,
    add column aliases text,
    add column carrier_kind text,
    add column build_status text,
    add column total_area_m2 numeric,
    add column usable_area_m2 numeric,
    add column occupied_area_m2 numeric,
    add column investment_completed numeric,
    add column brand_level text,
    add column enterprise_name text,
    add column certificate_no text,
    add column certified_on date,
    add column valid_until date,
    add column extra jsonb;

-- Fill the typed columns of rows loaded before (their values were in `data`).
alter table ledger.event disable trigger event_append_only;
do $$
declare
    assignments text;
begin
    select string_agg(
        format('%I = (data ->> %L)::%s', a.attname, a.attname, format_type(a.atttypid, a.atttypmod)),
        ', ' order by a.attnum)
    into assignments
    from pg_attribute as a
    where a.attrelid = 'ledger.event'::regclass and a.attnum > 0 and not a.attisdropped
      and a.attname not in ('event_id', 'feed', 'batch_id', 'delivered_on', 'line_no',
                            'natural_key', 'op', 'row_hash', 'data', 'raw', 'extra');
    execute format('update ledger.event set %s where data is not null', assignments);
end;
$$;
alter table ledger.event enable trigger event_append_only;
alter table ledger.event drop column data, drop column row_hash;

-- A fact's values without its metadata, as one object (null for a retraction): what "changed"
-- compares (an unchanged re-send is no change) and what a reader sees of a fact at a glance.
create function ledger.fact_values(e ledger.event) returns jsonb
language sql immutable parallel safe as $$
    select nullif(jsonb_strip_nulls(to_jsonb(e) - array[
        'event_id', 'feed', 'batch_id', 'delivered_on', 'line_no', 'natural_key', 'op', 'raw',
        'extra']), '{}')
$$;

-- The readers of 004, returning the fact (a row of ledger.event, typed values included) where
-- they returned its jsonb; the derivations are unchanged.

create function ledger.current_events(p_feed text, p_as_of date)
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
    with delivered as (
        select * from ledger.deliveries(p_feed, p_as_of)
    ),
    facts as (
        select e.event_id, d.batch_id, d.delivered_on, d.delivery_rank, e.line_no,
               e.natural_key, e.op, e as fact
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

create function ledger.snapshot_history(p_feed text, p_as_of date)
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
    rows_in as (
        select s.idx, e.natural_key, e.op, e as fact, ledger.fact_values(e) as vals,
               e.event_id, e.line_no, true as good
        from snaps as s
        inner join ledger.event as e on e.batch_id = s.content_batch_id
        where e.feed = p_feed
        union all
        select s.idx, r.natural_key, 'carry', null, null, null, r.line_no, false
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
$$;

create function ledger.changes(p_feed text, p_as_of date)
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
    with facts as (
        select e.natural_key, e.op, e as fact, ledger.fact_values(e) as vals, e.event_id,
               d.batch_id, d.delivered_on, d.delivery_rank, e.line_no
        from ledger.deliveries(p_feed, p_as_of) as d
        inner join ledger.event as e on e.batch_id = d.content_batch_id
        where e.feed = p_feed and not d.snapshot
    ),
    compared as (
        select f.*, lag(f.op) over w as prev_op, lag(f.vals) over w as prev_vals
        from facts as f
        window w as (partition by f.natural_key order by f.delivery_rank, f.line_no)
    )
    select c.natural_key, c.op, c.fact, c.event_id, c.batch_id, c.delivered_on,
           c.delivery_rank
    from compared as c
    where (c.op, c.vals) is distinct from (c.prev_op, c.prev_vals)
      and (c.op = 'upsert' or c.prev_op = 'upsert')
    union all
    select * from ledger.snapshot_history(p_feed, p_as_of)
$$;
