{# Bad input known at as_of: one row per quarantined row, plus one row per rejected file (reason
   rejected_file). owner_dept: the department owning the feed (departments.csv `feeds`); for the
   street-owned milestones feed, the street of the project the row names, else the project office
   (owner of the registry feed). #}
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

owners as (
    select
        departments.dept_code,
        unnest(string_to_array(departments.feeds, ';')) as feed
    from {{ ref('departments') }} as departments
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

final as (
    select
        unioned.rejected_key,
        unioned.feed,
        unioned.batch_id,
        unioned.file_name,
        unioned.line_no,
        unioned.reason,
        unioned.detail,
        unioned.raw,
        coalesce(feed_owner.dept_code, projects.street_code, registry_owner.dept_code)
            as owner_dept,
        unioned.received_on
    from unioned
    left join owners as feed_owner on unioned.feed = feed_owner.feed
    left join projects on unioned.named_project_code = projects.project_code
    left join owners as registry_owner on registry_owner.feed = 'registry'
)

select * from final
