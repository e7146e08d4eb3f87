{# Approval items (行政审批) as known at as_of, one row per project and item, timed in working
   days (法定节假日 and 调休 of the State Council's notices): working days after accepted_on up to
   and including decided_on, or as_of while pending; over_limit_days beyond the item's committed
   limit (approval_items.csv). street_code: the registry project's street. #}
with

approvals as (
    select * from {{ ref('int_approvals_timed') }}
),

final as (
    select
        approvals.project_code,
        approvals.item,
        approvals.accepted_on,
        approvals.decided_on,
        approvals.result,
        approvals.status,
        approvals.working_days,
        approvals.limit_working_days,
        approvals.over_limit_days,
        approvals.street_code,
        approvals.project_name,
        approvals.credit_code,
        approvals.total_investment,
        {{ as_of() }} as as_of
    from approvals
)

select * from final
