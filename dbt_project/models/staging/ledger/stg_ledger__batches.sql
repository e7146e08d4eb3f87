{# The batch ledger: every delivered file known at as_of, whatever its status. Status, duplicate_of
   and counts are those the file has in delivery order (ledger.batches), whatever the load order.
   content_batch_id: the batch holding the file's rows (itself, or the one a duplicate repeats). #}
with

source as (
    select * from {{ source('ledger', 'batch') }}
    where delivered_on <= {{ as_of() }}
),

judged as (
    select * from ledger.batches({{ as_of() }})
),

renamed as (
    select
        source.batch_id,
        source.feed,
        source.file_name,
        source.sha256,
        source.delivered_on,
        source.delivery_seq,
        source.loaded_at,
        judged.status,
        judged.reason,
        judged.detail,
        judged.encoding,
        source.file_format,
        judged.header,
        judged.rows_total,
        judged.rows_loaded,
        judged.rows_rejected,
        judged.events_added,
        judged.duplicate_of,
        judged.content_batch_id
    from source
    inner join judged on source.batch_id = judged.batch_id
)

select * from renamed
