{# Quarantined rows. Not filtered by as_of here (that needs the batch's delivery date, a join);
   fct_rejected_row keeps those of batches known at as_of. #}
with

source as (
    select * from {{ source('ledger', 'rejected_row') }}
),

renamed as (
    select
        rejected_id,
        batch_id,
        feed,
        line_no,
        reason,
        detail,
        raw
    from source
)

select * from renamed
