{# Bad input known at as_of: one row per quarantined row, plus one row per rejected file (reason
   rejected_file). owner_dept per the owner_routing seed (rule rejected_row): the department
   owning the feed; for the street-sent milestones feed, the street of the project the row names,
   else the project office. #}
with

batches as (
    select * from {{ ref('stg_ledger__batches') }}
),

rejected_rows as (
    select * from {{ ref('stg_ledger__rejected_rows') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

quarantined as (
    select
        'row-' || batches.batch_id::text || '-' || rejected_rows.line_no::text as rejected_key,
        rejected_rows.feed,
        batches.batch_id,
        batches.file_name,
        rejected_rows.line_no,
        rejected_rows.reason,
        rejected_rows.detail,
        rejected_rows.raw,
        batches.delivered_on as received_on,
        coalesce(rejected_rows.raw ->> 'project_code', rejected_rows.raw ->> '项目代码')
            as named_project_code
    from rejected_rows
    -- a file reports the rows it holds or repeats; one that reads as a duplicate, nothing new
    inner join batches on rejected_rows.batch_id = batches.content_batch_id
    where batches.status = 'loaded'
),

rejected_files as (
    select
        'file-' || batches.batch_id::text as rejected_key,
        batches.feed,
        batches.batch_id,
        batches.file_name,
        null::integer as line_no,
        'rejected_file' as reason,
        concat_ws(': ', batches.reason, batches.detail) as detail,
        batches.header as raw,  -- noqa: RF04
        batches.delivered_on as received_on,
        null::text as named_project_code
    from batches
    where batches.status = 'rejected'
),

unioned as (
    select * from quarantined
    union all
    select * from rejected_files
),

named as (
    select
        unioned.*,
        projects.street_code
    from unioned
    left join projects on unioned.named_project_code = projects.project_code
),

owned as (
    {{ route_owner('named', rule_id="'rejected_row'") }}
),

final as (
    select
        owned.rejected_key,
        owned.feed,
        owned.batch_id,
        owned.file_name,
        owned.line_no,
        owned.reason,
        owned.detail,
        owned.raw,
        owned.owner_dept,
        owned.received_on
    from owned
)

select * from final
