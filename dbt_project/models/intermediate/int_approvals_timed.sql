{# Every current approval item with its committed limit (approval_items.csv) and its working
   days (rules.md "Working days"): after accepted_on up to and including decided_on, or as_of
   while pending (a decision dated after as_of is not known yet: pending). A same-day decision
   is 0. street_code is the registry project's street (null for a project not in the registry). #}
with

approvals as (
    select * from {{ ref('stg_approvals__approvals') }}
),

items as (
    select * from {{ ref('approval_items') }}
),

days as (
    select * from {{ ref('stg_calendar__days') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

dated as (
    select
        approvals.*,
        case
            when approvals.decided_on is not null and approvals.decided_on <= {{ as_of() }}
                then 'decided'
            else 'pending'
        end as status
    from approvals
),

timed as (
    select
        dated.project_code,
        dated.item,
        dated.project_name,
        dated.credit_code,
        dated.accepted_on,
        dated.decided_on,
        dated.result,
        dated.total_investment,
        dated.status,
        case when dated.status = 'decided' then dated.decided_on else {{ as_of() }} end
            as counted_to,
        {{ working_days('start_day', 'end_day') }} as working_days,
        items.limit_working_days,
        projects.street_code,
        dated.natural_key
    from dated
    left join items on dated.item = items.item
    left join days as start_day on dated.accepted_on = start_day.day
    left join days as end_day
        on
            end_day.day
            = case when dated.status = 'decided' then dated.decided_on else {{ as_of() }} end
    left join projects on dated.project_code = projects.project_code
),

final as (
    select
        timed.*,
        greatest(timed.working_days - timed.limit_working_days, 0) as over_limit_days
    from timed
)

select * from final
