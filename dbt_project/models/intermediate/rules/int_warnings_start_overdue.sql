{# Rule start_overdue: a registry project with no actual 开工 on or before as_of whose planned_start
   has passed. Yellow 1..start_overdue_red_days days late, red beyond. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

late as (
    select
        projects.project_code,
        projects.street_code,
        projects.planned_start as planned_on,
        {{ as_of() }} - projects.planned_start as delay_days
    from projects
    where
        projects.planned_start < {{ as_of() }}
        and (projects.actual_start_on is null or projects.actual_start_on > {{ as_of() }})
),

graded as (
    select
        'start_overdue' as rule_id,
        late.project_code,
        null::text as parcel_no,
        null::text as node,
        late.street_code,
        late.delay_days,
        null::numeric as measure,
        case
            when late.delay_days > {{ var('start_overdue_red_days') }} then 'red'
            else 'yellow'
        end as grade,
        '计划开工 ' || late.planned_on::text || '，已逾期' || late.delay_days::text || '天'
            as detail
    from late
)

select * from graded
