-- The promotion loop's feeds (feeds.md `leads`, `carriers`, `hitech`): one event partition
-- each, like the other feeds. `if not exists` so that a second migration adding the same
-- partitions (ingest's side of the same issue) is harmless.

create table if not exists ledger.event_leads partition of ledger.event for values in ('leads');
create table if not exists ledger.event_carriers partition of ledger.event
    for values in ('carriers');
create table if not exists ledger.event_hitech partition of ledger.event for values in ('hitech');
