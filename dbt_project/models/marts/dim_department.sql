with

departments as (
    select * from {{ ref('departments') }}
),

final as (
    select
        departments.dept_code,
        departments.dept_name,
        departments.email,
        departments.escalation_email,
        string_to_array(departments.feeds, ';') as feeds
    from departments
)

select * from final
