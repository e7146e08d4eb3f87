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

owned as (
    {{ route_owner('found') }}
),

routed as (
    select
        {{ as_of() }} as as_of,
        owned.rule_id,
        owned.subject_key,
        owned.period,
        owned.project_code,
        owned.credit_code,
        owned.parcel_no,
        owned.street_code,
        owned.feed,
        owned.owner_dept,
        owned.detail
    from owned
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
