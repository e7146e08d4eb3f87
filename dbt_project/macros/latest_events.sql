{# Readers of the event store's derivations (projledger/db/migrations/009_typed_facts.sql and
   010_incremental_reads.sql): each row a fact of one key with its delivery, the values typed
   in `fact` (a row of ledger.event). #}
{% macro _facts_of(alias) -%}
    select
        {{ alias }}.event_id,
        {{ alias }}.batch_id,
        {{ alias }}.delivered_on,
        {{ alias }}.delivery_rank,
        {{ alias }}.natural_key,
        {{ alias }}.op,
        {{ alias }}.fact
{%- endmacro %}

{# The current fact of every key of one feed as known at the run's as_of (knowledge time is the
   delivery date; versions ordered by delivery, never by load order). For a snapshot feed only
   the keys present in the latest snapshot count. The caller keeps op = 'upsert' (a key whose
   latest fact is a retraction is gone). #}
{% macro latest_events(feed) -%}
    {{ _facts_of('current_events') }}
    from ledger.current_events('{{ feed }}', {{ as_of() }}) as current_events
{%- endmacro %}

{# The history of a snapshot feed as known at as_of: per key, one row per delivery where its
   state changed (upsert with values, retract, leave). Given `read` (snapshots_read), only the
   rows of the snapshots after those an incremental reader already holds. #}
{% macro snapshot_history(feed, read=none) -%}
    {{ _facts_of('history') }}
    from ledger.snapshot_history(
        '{{ feed }}', {{ as_of() }}
    {%- if read is not none and read.after > 0 %}, {{ read.after }}, {{ read.batch }}{% endif %}
    ) as history
{%- endmacro %}

{# The last read of an incremental reader of a snapshot feed's history (its rows record, as
   built_as_of, read_snapshots and read_through_batch, the as_of, how many of the feed's
   snapshots in delivery order it had derived, and the last of them), when it still holds:
   {after: that count, batch: that batch}. {after: 0} (derive the whole history, its rows
   deleted first: snapshot_history_reset) when it has no rows, when the build is for an
   earlier as_of, or when a snapshot delivered before that last one has arrived since. #}
{% macro snapshots_read(feed) -%}
    {%- set read = {'after': 0, 'batch': 'null'} -%}
    {#- a table built before it recorded its reads (an earlier version) is derived again -#}
    {%- if execute and is_incremental() and 'read_snapshots' in (
        adapter.get_columns_in_relation(this) | map(attribute='name') | list
    ) -%}
        {%- for last in run_query(
            "select kept.read_snapshots, kept.read_through_batch from ("
            ~ "select built_as_of, read_snapshots, read_through_batch from " ~ this
            ~ " order by built_as_of desc, read_snapshots desc limit 1) as kept"
            ~ " where kept.built_as_of <= " ~ as_of()
            ~ " and kept.read_snapshots = (select delivered.idx from ("
            ~ "select d.batch_id, row_number() over (order by d.delivery_rank) as idx"
            ~ " from ledger.deliveries('" ~ feed ~ "', " ~ as_of() ~ ") as d where d.snapshot"
            ~ ") as delivered where delivered.batch_id = kept.read_through_batch)"
        ).rows -%}
            {%- do read.update({'after': last[0] | int, 'batch': last[1] | int}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(read) }}
{%- endmacro %}

{# Pre-hook of an incremental reader of a snapshot feed's history: empty it when this build
   derives the whole history (snapshots_read gives 0), and give a table built by an earlier
   version, which kept no reads, the columns that record them. #}
{% macro snapshot_history_reset(feed) -%}
    {%- if snapshots_read(feed).after == 0 -%}
        alter table {{ this }}
        add column if not exists built_as_of date,
        add column if not exists read_snapshots bigint,
        add column if not exists read_through_batch bigint;
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{# What an incremental reader of a snapshot feed's history records of its read, in the
   statement that reads it (so it names the snapshots that statement derived): how many of the
   feed's snapshots there are as of the run's as_of, and the last of them. #}
{% macro snapshots_read_position(feed) -%}
    select
        count(*) as read_snapshots,
        (array_agg(delivered.batch_id order by delivered.delivery_rank desc))[1]
            as read_through_batch
    from ledger.deliveries('{{ feed }}', {{ as_of() }}) as delivered
    where delivered.snapshot
{%- endmacro %}

{# The body of an incremental model keeping a snapshot feed's history (its pre-hook:
   snapshot_history_reset): the rows of the snapshots after its last `read` (snapshots_read),
   the key named `key_column`, the feed's typed `columns` (e.g. registry_columns('source')),
   and what it has now read. #}
{% macro kept_snapshot_history(feed, read, key_column, columns) -%}
with

source as (
    {{ snapshot_history(feed, read) }}
),

read_position as (
    {{ snapshots_read_position(feed) }}
),

renamed as (
    select
        source.natural_key as {{ key_column }},
        source.op,
        {{ columns }},
        source.event_id,
        source.batch_id,
        source.delivered_on,
        source.delivery_rank,
        {{ as_of() }} as built_as_of,
        read_position.read_snapshots,
        read_position.read_through_batch
    from source
    cross join read_position
)

select * from renamed
{%- endmacro %}

{# For an incremental model keeping a non-snapshot feed's current state (the columns
   built_as_of and built_through_batch record what it has read; `since` is its last read, as
   last_read_literals gives it): the current fact of every key touched by a batch known since,
   as of the run's as_of; all keys when the model is empty (or emptied for an earlier as_of). #}
{% macro latest_events_since(feed, since) -%}
    {{ _facts_of('current_events') }}
    from ledger.current_events_since(
        '{{ feed }}', {{ as_of() }}, {{ since.as_of }}, {{ since.batch }}
    ) as current_events
{%- endmacro %}

{# The row of an incremental reader's state written by its last read: the latest as_of, and
   with it the latest batch (both only grow from one read to the next, an earlier as_of
   starting from nothing). One probe of the reader's index on (built_as_of,
   built_through_batch), not a scan of its rows. #}
{% macro last_read(state) -%}
    select last.built_as_of, last.built_through_batch
    from {{ state }} as last
    order by last.built_as_of desc, last.built_through_batch desc
    limit 1
{%- endmacro %}

{# Post-hook of an incremental reader: delete the rows of its last read that `condition` marks
   as gone. The run's as_of is named outright: the last read is this build's (a build that
   merged nothing leaves nothing to delete), and the planner, whose statistics know only the
   reads sampled before, sizes it as the few rows it is. Given the last read only as a subquery,
   it took any value for the most common one and read every row to find none (the 9.2M rows of
   the province's tax, about 2 s a night). #}
{% macro delete_from_last_read(state, condition) -%}
    delete from {{ state }} as merged
    where
        {{ condition }}
        and merged.built_as_of = {{ as_of() }}
        and (merged.built_as_of, merged.built_through_batch) = ({{ last_read(state) }})
{%- endmacro %}

{# The last read of an incremental reader as SQL literals, known when its model is compiled:
   {as_of: a date literal, batch: a number}; -infinity and 0 when it has none, or when the build
   is for an earlier as_of (its pre-hook forget_if_replayed then empties it). #}
{% macro last_read_literals(state) -%}
    {%- set since = {'as_of': "'-infinity'::date", 'batch': 0} -%}
    {%- if execute -%}
        {%- for last in run_query(
            "select kept.built_as_of::text, kept.built_through_batch from ("
            ~ last_read(state) ~ ") as kept where kept.built_as_of <= " ~ as_of()
        ).rows -%}
            {%- do since.update({'as_of': "date '" ~ last[0] ~ "'", 'batch': last[1] | int}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(since) }}
{%- endmacro %}

{# What an incremental reader of a feed records of its read: the run's as_of and the feed's
   last batch. A feed's batches commit one at a time under its lock, in batch_id order, so a
   batch not yet committed will come after this one. #}
{% macro read_through(feed) -%}
    {{ as_of() }} as built_as_of,
    (
        select max(read_batches.batch_id) from ledger.batch as read_batches
        where read_batches.feed = '{{ feed }}'
    ) as built_through_batch
{%- endmacro %}

{# Pre-hook of an incremental reader: a build for an earlier as_of than the state it keeps
   starts from nothing (the state cannot be rolled back). #}
{% macro forget_if_replayed() -%}
    delete from {{ this }}
    where (select kept.built_as_of from ({{ last_read(this) }}) as kept) > {{ as_of() }}
{%- endmacro %}
