{# Rule stale_milestones: a registry project without an actual 投产 by as_of (a date after it has
   not happened yet) whose latest milestone
   reported_on is more than max_age_days before as_of, or that has no milestone report at all.
   Owned by the project's street. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

gaps as (
    select
        'stale_milestones' as rule_id,
        projects.project_code as subject_key,
        projects.project_code,
        projects.credit_code,
        null::text as parcel_no,
        projects.street_code,
        'milestones' as feed,
        null::date as period,
        case
            when projects.last_reported_on is null then '节点推进从未填报'
            else
                '节点推进最近填报 ' || projects.last_reported_on::text || '，已超过'
                || {{ var('stale_max_age_days') }} || '天未更新'
        end as detail
    from projects
    where
        not {{ happened('projects.actual_production_on') }}
        and (
            projects.last_reported_on is null
            or {{ as_of() }} - projects.last_reported_on > {{ var('stale_max_age_days') }}
        )
)

select * from gaps
