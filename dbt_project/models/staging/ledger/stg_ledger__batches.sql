{# The batch ledger: every delivered file known at as_of, whatever its status. #}
with

source as (
    select * from {{ source('ledger', 'batch') }}
    where delivered_on <= {{ as_of() }}
),

renamed as (
    select
        batch_id,
        feed,
        file_name,
        sha256,
        delivered_on,
        delivery_seq,
        loaded_at,
        status,
        reason,
        detail,
        encoding,
        file_format,
        header,
        rows_total,
        rows_loaded,
        rows_rejected,
        events_added,
        duplicate_of
    from source
)

select * from renamed
