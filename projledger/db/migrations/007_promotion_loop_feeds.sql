-- Event partitions of the promotion-loop feeds (feeds.md: leads, carriers, hitech). Additive:
-- the store's tables and the partitions of 001 are unchanged.
create table if not exists ledger.event_leads partition of ledger.event for values in ('leads');
create table if not exists ledger.event_carriers partition of ledger.event
    for values in ('carriers');
create table if not exists ledger.event_hitech partition of ledger.event for values in ('hitech');
