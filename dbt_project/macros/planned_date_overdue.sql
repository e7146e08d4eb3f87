{# The start_overdue / production_overdue rule: a registry project whose planned date has passed
   with no actual date on or before as_of. Yellow up to red_days_var days late, red beyond. #}
{% macro planned_date_overdue(rule_id, planned_column, actual_column, red_days_var, label) %}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

late as (
    select
        projects.project_code,
        projects.street_code,
        projects.{{ planned_column }} as planned_on,
        {{ as_of() }} - projects.{{ planned_column }} as delay_days
    from projects
    where
        projects.{{ planned_column }} < {{ as_of() }}
        and not {{ happened('projects.' ~ actual_column) }}
),

graded as (
    select
        '{{ rule_id }}' as rule_id,
        late.project_code,
        null::text as parcel_no,
        null::text as node,
        late.street_code,
        late.delay_days,
        null::numeric as measure,
        case
            when late.delay_days > {{ var(red_days_var) }} then 'red'
            else 'yellow'
        end as grade,
        '{{ label }} ' || late.planned_on::text || '，已逾期' || late.delay_days::text || '天'
            as detail
    from late
)

select * from graded
{% endmacro %}
