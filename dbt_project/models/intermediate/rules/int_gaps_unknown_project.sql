{# Rule unknown_project: a current stats_fai, milestones or land row naming a project_code that is
   neither a registry project nor in approvals. One gap per (feed, project_code). Owner: the
   department that sent the row; for milestones (sent by streets) the project's street in its
   latest known registry version, or the project office when it was never registered. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

approvals as (
    select * from {{ ref('stg_approvals__approvals') }}
),

snapshots as (
    select * from {{ ref('stg_registry__snapshots') }}
),

fai_rows as (
    select
        'stats_fai' as feed,
        fai.project_code,
        null::text as parcel_no,
        null::text as street_code,
        count(*) as n_rows
    from {{ ref('stg_stats_fai__reports') }} as fai
    group by fai.project_code
),

milestone_rows as (
    select
        'milestones' as feed,
        milestones.project_code,
        null::text as parcel_no,
        null::text as street_code,
        count(*) as n_rows
    from {{ ref('stg_milestones__milestones') }} as milestones
    group by milestones.project_code
),

land_rows as (
    select
        'land' as feed,
        parcels.project_code,
        min(parcels.parcel_no) as parcel_no,
        min(parcels.street_code) as street_code,
        count(*) as n_rows
    from {{ ref('stg_land__parcels') }} as parcels
    group by parcels.project_code
),

named as (
    select * from fai_rows
    union all
    select * from milestone_rows
    union all
    select * from land_rows
),

last_known_street as (
    select distinct on (snapshots.project_code)
        snapshots.project_code,
        snapshots.street_code
    from snapshots
    where snapshots.op = 'upsert'
    order by snapshots.project_code asc, snapshots.delivered_on desc, snapshots.delivery_rank desc
),

gaps as (
    select
        'unknown_project' as rule_id,
        named.feed || '|' || named.project_code as subject_key,
        named.project_code,
        null::text as credit_code,
        named.parcel_no,
        coalesce(named.street_code, last_known_street.street_code) as street_code,
        named.feed,
        null::date as period,
        '项目代码 ' || named.project_code || ' 不在项目库和行政审批中（' || named.n_rows::text
        || ' 行）' as detail
    from named
    left join last_known_street on named.project_code = last_known_street.project_code
    where
        named.project_code is not null
        and not exists (
            select 1 from projects
            where projects.project_code = named.project_code
        )
        and not exists (
            select 1 from approvals
            where approvals.project_code = named.project_code
        )
)

select * from gaps
