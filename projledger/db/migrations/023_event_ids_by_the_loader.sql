-- The loader gives each fact its id, from the identity sequence: a value the sequence gives
-- owns the thousand ids from it on (ingest/side.py takes one per thousand facts). A row COPYed
-- straight into a feed's partition gets no identity from PostgreSQL before 17 (16 is the
-- compose stack's server): every load failed there on the null id. On 17 and later the
-- partition drew each id from the sequence's page, row by row, about a tenth of the server's
-- time in a COPY. Ids stay unique (a default takes one value and uses that one), increase
-- with the file's lines within a batch, and still order nothing across batches.
alter table ledger.event alter column event_id set increment by 1000 set cache 1;
