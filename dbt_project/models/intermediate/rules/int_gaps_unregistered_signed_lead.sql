{# Rule unregistered_signed_lead: a lead in the ledger at 签约 or 落地 (as the feed says) with
   intended_investment >= the threshold, signed more than signed_lead_grace_days calendar days
   before as_of, that matches no registry project (int_leads_matched: by project_code when the
   lead has one, else by credit_code). Keyed by lead_id; owned by the landing street. #}
with

leads as (
    select * from {{ ref('int_leads_matched') }}
),

gaps as (
    select
        'unregistered_signed_lead' as rule_id,
        leads.lead_id as subject_key,
        leads.lead_project_code as project_code,
        leads.credit_code,
        null::text as parcel_no,
        leads.street_code,
        'leads' as feed,
        null::date as period,
        '招商线索 ' || leads.lead_id || '「' || leads.project_name || '」' || leads.feed_stage
        || '，签约 ' || leads.signed_on::text || '，意向投资 ' || leads.intended_investment::text
        || ' 万元，签约超过' || {{ var('signed_lead_grace_days') }} || '天未入项目库' as detail
    from leads
    where
        leads.in_ledger
        and leads.feed_stage in ({{ "'" ~ var('lead_stages_signed') | join("', '") ~ "'" }})
        and leads.intended_investment >= {{ var('signed_lead_min_investment') }}
        and {{ as_of() }} - leads.signed_on > {{ var('signed_lead_grace_days') }}
        and leads.project_code is null
)

select * from gaps
