-- A stored fact is an upsert or a retraction: leaving a snapshot is derived when reading
-- (004), never stored. The store refuses anything else, so no nightly test need read every
-- event to check it (event_id is an identity column: not null and unique by construction).
alter table ledger.event drop constraint event_op_check;
alter table ledger.event add constraint event_op_check check (op in ('upsert', 'retract'));
