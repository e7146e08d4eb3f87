{# Every lead known at as_of with its matched registry project (rules.md "Leads funnel"): by
   project_code when the lead has one, else by credit_code when it has one (the earliest
   registered of that enterprise's registry projects), else none. A matched lead is 落地 whatever
   the feed says; feed_stage keeps what the feed said. #}
with

leads as (
    select * from {{ ref('stg_leads__leads') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

by_project_code as (
    select
        leads.lead_id,
        projects.project_code,
        'project_code' as matched_via
    from leads
    inner join projects on leads.project_code = projects.project_code
),

by_credit_code as (
    select distinct on (leads.lead_id)
        leads.lead_id,
        projects.project_code,
        'credit_code' as matched_via
    from leads
    inner join projects on leads.credit_code = projects.credit_code
    where leads.project_code is null
    order by leads.lead_id asc, projects.registered_on asc nulls last, projects.project_code asc
),

matches as (
    select * from by_project_code
    union all
    select * from by_credit_code
),

joined as (
    select
        leads.lead_id,
        leads.project_name,
        leads.investor,
        leads.credit_code,
        leads.sourcing_unit,
        leads.street_code,
        leads.industry,
        leads.intended_investment,
        case
            when matches.project_code is not null then '{{ var("lead_stage_landed") }}'
            else leads.stage
        end as stage,  -- noqa: RF04
        leads.stage as feed_stage,
        leads.first_contact_on,
        leads.signed_on,
        leads.project_code as lead_project_code,
        matches.project_code,
        matches.matched_via,
        projects.registered_on,
        projects.actual_start_on as started_on,
        leads.in_ledger,
        leads.delivered_on
    from leads
    left join matches on leads.lead_id = matches.lead_id
    left join projects on matches.project_code = projects.project_code
)

select * from joined
