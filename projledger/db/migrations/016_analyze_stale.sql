-- The store's planner statistics before a night reads it: a fresh load leaves none, and the
-- planner then guesses one row. Re-sampling every partition each night cost the province 2 to 3 s
-- (30,000 pages of the 2.4 GB tax partition) for a re-send of 0.3 % of it. A table is analyzed
-- when it never was, or when it has grown by a tenth or more since (autovacuum's own threshold),
-- measured on its pages, which a load grows at once (the activity counters lag behind a
-- connection still open); the store's parent, whose statistics estimate joins over any feed,
-- with any of its partitions (it samples them all).
create function ledger.analyze_stale() returns void
language plpgsql as $$
declare
    stale record;
    partition_stale boolean := false;
begin
    for stale in
        select c.oid::regclass as rel, p.inhparent is not null as is_partition
        from pg_class as c
        inner join pg_namespace as n on n.oid = c.relnamespace
        left join pg_inherits as p
            on p.inhrelid = c.oid and p.inhparent = 'ledger.event'::regclass
        where n.nspname = 'ledger' and c.relkind = 'r'
          and (c.relname in ('batch', 'rejected_row') or p.inhparent is not null)
          and (c.reltuples < 0
               or pg_relation_size(c.oid) / current_setting('block_size')::int
                  >= 1.1 * greatest(c.relpages, 1))
    loop
        if stale.is_partition then
            partition_stale := true;
        else
            execute format('analyze %s', stale.rel);
        end if;
    end loop;
    if partition_stale or not exists (
        select 1 from pg_statistic
        where starelid = 'ledger.event'::regclass and stainherit
    ) then
        analyze ledger.event;
    end if;
end;
$$;
