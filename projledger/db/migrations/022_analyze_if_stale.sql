-- The planner statistics of a table a night merges into, sampled again only when they are
-- stale: the table has none (it was just written whole), or it has grown by a tenth or more
-- since they were taken (autovacuum's own threshold, on its pages as in 016: a merge's deletes
-- leave their rows' space until a vacuum, so its changes grow the table). Every night sampled
-- the 9.2M-row tax staging table again after merging a few hundred keys into it, up to 30,000
-- of its pages: at a tenth of that size, the tax staging model's slowest statement.
create function ledger.analyze_if_stale(p_rel regclass) returns boolean
language plpgsql as $$
declare
    stale boolean;
begin
    select not exists (
               select 1 from pg_stats as s
               where s.schemaname = n.nspname and s.tablename = c.relname
           )
           or pg_relation_size(c.oid) / current_setting('block_size')::int
              >= 1.1 * greatest(c.relpages, 1)
    into stale
    from pg_class as c
    inner join pg_namespace as n on n.oid = c.relnamespace
    where c.oid = p_rel;
    if stale then
        execute format('analyze %s', p_rel);
    end if;
    return stale;
end;
$$;
