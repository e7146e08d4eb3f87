{# Rule approval_overdue: a pending approval item (no decided_on known at as_of) whose working
   days since accepted_on exceed its limit_working_days; delay_days = working days over the limit.
   Yellow over the limit, red over approval_overdue_red_factor times it. One row per project: its
   worst item, named in detail. Routed to 行政审批局 (owner_routing). #}
with

approvals as (
    select * from {{ ref('int_approvals_timed') }}
),

overdue as (
    select
        approvals.*,
        count(*) over (partition by approvals.project_code) as n_items
    from approvals
    where
        approvals.status = 'pending'
        and approvals.working_days > approvals.limit_working_days
),

worst as (
    select distinct on (overdue.project_code) overdue.*
    from overdue
    order by overdue.project_code asc, overdue.over_limit_days desc, overdue.item asc
),

graded as (
    select
        'approval_overdue' as rule_id,
        worst.project_code,
        null::text as parcel_no,
        null::text as node,
        worst.street_code,
        worst.over_limit_days as delay_days,
        null::numeric as measure,
        case
            when
                worst.working_days
                > {{ var('approval_overdue_red_factor') }} * worst.limit_working_days
                then 'red'
            else 'yellow'
        end as grade,
        '审批事项「' || worst.item || '」受理 ' || worst.accepted_on::text || '，已 '
        || worst.working_days::text || ' 个工作日未办结，承诺时限 '
        || worst.limit_working_days::text || ' 个工作日（超时事项 ' || worst.n_items::text
        || ' 个）' as detail,
        null::text as lead_id,
        null::text as sourcing_unit
    from worst
)

select * from graded
