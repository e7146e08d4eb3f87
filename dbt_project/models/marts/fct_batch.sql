{# Every delivered file known at as_of, with the department that owns its feed. #}
with

batches as (
    select * from {{ ref('stg_ledger__batches') }}
),

owners as (
    select
        departments.dept_code,
        unnest(string_to_array(departments.feeds, ';')) as feed
    from {{ ref('departments') }} as departments
),

final as (
    select
        batches.batch_id,
        batches.feed,
        batches.file_name,
        batches.sha256,
        batches.delivered_on,
        batches.delivery_seq,
        batches.loaded_at,
        batches.status,
        batches.reason,
        batches.detail,
        batches.encoding,
        batches.file_format,
        batches.rows_total,
        batches.rows_loaded,
        batches.rows_rejected,
        batches.events_added,
        batches.duplicate_of,
        owners.dept_code as owner_dept
    from batches
    left join owners on batches.feed = owners.feed
)

select * from final
