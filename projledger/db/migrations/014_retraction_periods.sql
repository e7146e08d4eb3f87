-- A retraction names its key: ingest now stores a retraction's key columns (typed, checked like
-- any key) and no other value. The night's merge reads a touched key's facts from the blocks of
-- that key's period only (012), so a retraction stored without its period was missed there: a
-- retraction loaded after a later-dated change it does not undo took that change's place.
--
-- The retractions stored before this migration get the period of their key, from any upsert
-- of the same key (the period is part of the key, tests/unit/test_contracts_periods.py). Their
-- other key columns stay empty: no reader takes a value from a retraction. A retraction of a
-- key never delivered keeps no period; a fact of that key loaded later is read with it, being
-- stored under a period the merge then reads.
alter table ledger.event disable trigger event_append_only;
update ledger.event as r
set period = u.period
from (
    select distinct on (e.feed, e.natural_key) e.feed, e.natural_key, e.period
    from ledger.event as e
    where e.op = 'upsert' and e.period is not null
      and (e.feed, e.natural_key) in (
          select v.feed, v.natural_key from ledger.event as v
          where v.op = 'retract' and v.period is null
      )
) as u
where r.op = 'retract' and r.period is null
  and r.feed = u.feed and r.natural_key = u.natural_key;
alter table ledger.event enable trigger event_append_only;
