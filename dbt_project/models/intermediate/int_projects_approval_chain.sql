{# The approval chain per project (rules.md "Approval chain"): working days after the first
   granted registration item (立项备案/项目核准/项目审批) decided_on up to and including the granted
   施工许可证 decided_on. Null while either is missing, or when the permit came first. #}
with

approvals as (
    select * from {{ ref('int_approvals_timed') }}
    where
        status = 'decided'
        and result = '{{ var("approval_granted") }}'
),

days as (
    select * from {{ ref('stg_calendar__days') }}
),

ends as (
    select
        approvals.project_code,
        min(approvals.decided_on) filter (
            where approvals.item in ({{ "'" ~ var('registration_items') | join("', '") ~ "'" }})
        ) as registration_decided_on,
        min(approvals.decided_on) filter (
            where approvals.item = '{{ var("item_permit") }}'
        ) as permit_decided_on
    from approvals
    group by approvals.project_code
),

chained as (
    select
        ends.project_code,
        ends.registration_decided_on,
        ends.permit_decided_on,
        case
            when ends.permit_decided_on >= ends.registration_decided_on
                then {{ working_days('start_day', 'end_day') }}
        end as approval_chain_working_days
    from ends
    left join days as start_day on ends.registration_decided_on = start_day.day
    left join days as end_day on ends.permit_decided_on = end_day.day
)

select * from chained
