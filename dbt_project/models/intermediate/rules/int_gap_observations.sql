{# The nightly log of coverage gaps: for the run's as_of, one row per gap found tonight plus one
   sentinel row (rule_id '_run') so that a night with no gaps still counts as a run. Re-running a
   night replaces that night's rows (delete+insert on as_of); full_refresh is disabled so a full
   refresh never loses the log. fct_coverage_gap derives the gap lifecycle from it. #}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}
with

found as (
    select * from {{ ref('int_gaps_unregistered_project') }}
    union all
    select * from {{ ref('int_gaps_missing_report') }}
    union all
    select * from {{ ref('int_gaps_missing_land_record') }}
    union all
    select * from {{ ref('int_gaps_stale_milestones') }}
    union all
    select * from {{ ref('int_gaps_missing_feed') }}
    union all
    select * from {{ ref('int_gaps_unknown_project') }}
    union all
    select * from {{ ref('int_gaps_unregistered_signed_lead') }}
    union all
    select * from {{ ref('int_gaps_unknown_carrier') }}
),

owners as (
    select * from {{ ref('int_feeds_owned') }}
),

routing as (
    select * from {{ ref('owner_routing') }}
),

routed as (
    select
        {{ as_of() }} as as_of,
        found.rule_id,
        found.subject_key,
        found.period,
        found.project_code,
        found.credit_code,
        found.parcel_no,
        found.street_code,
        found.feed,
        case
            -- owner_routing.csv first: a department, or the item's street, or its feed's owner
            when routing.owner = 'street' then found.street_code
            when routing.owner = 'feed_owner'
                then coalesce(owners.dept_code, found.street_code, registry_owner.dept_code)
            when routing.owner is not null then routing.owner
            when found.rule_id = 'stale_milestones' then found.street_code
            -- milestones are sent by the streets, not a department: the project's street when
            -- known, else the project office that runs the library
            when owners.dept_code is null then coalesce(found.street_code, registry_owner.dept_code)
            else owners.dept_code
        end as owner_dept,
        found.detail
    from found
    left join owners on found.feed = owners.feed
    left join routing on found.rule_id = routing.rule_id
    left join owners as registry_owner on registry_owner.feed = 'registry'
),

sentinel as (
    select
        {{ as_of() }} as as_of,
        '_run' as rule_id,
        '_run' as subject_key,
        null::date as period,
        null::text as project_code,
        null::text as credit_code,
        null::text as parcel_no,
        null::text as street_code,
        null::text as feed,
        null::text as owner_dept,
        null::text as detail
),

observations as (
    select * from routed
    union all
    select * from sentinel
)

select * from observations
