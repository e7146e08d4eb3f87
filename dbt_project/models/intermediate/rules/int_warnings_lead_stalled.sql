{# Rule lead_stalled: a lead in the ledger still 在谈 (and matched to no registry project) more
   than lead_stalled_days after first_contact_on; delay_days = days past that. Yellow up to
   lead_stalled_red_days days of talks, red beyond. Routed to the lead's sourcing unit. #}
with

leads as (
    select * from {{ ref('int_leads_matched') }}
),

talking as (
    select
        leads.*,
        {{ as_of() }} - leads.first_contact_on as days_in_talks
    from leads
    where
        leads.in_ledger
        and leads.stage = '{{ var("lead_stage_talks") }}'
        and {{ as_of() }} - leads.first_contact_on > {{ var('lead_stalled_days') }}
),

graded as (
    select
        'lead_stalled' as rule_id,
        talking.lead_project_code as project_code,
        null::text as parcel_no,
        null::text as node,
        talking.street_code,
        talking.days_in_talks - {{ var('lead_stalled_days') }} as delay_days,
        null::numeric as measure,
        case
            when talking.days_in_talks > {{ var('lead_stalled_red_days') }} then 'red'
            else 'yellow'
        end as grade,
        '招商线索 ' || talking.lead_id || '「' || talking.project_name || '」首次接洽 '
        || talking.first_contact_on::text || '，在谈已 ' || talking.days_in_talks::text || ' 天'
            as detail,
        talking.lead_id,
        talking.sourcing_unit
    from talking
)

select * from graded
