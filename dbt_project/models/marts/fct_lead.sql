{# The leads funnel (招商 在谈 → 签约 → 落地) as known at as_of: one row per lead, with its matched
   registry project (by project_code when the lead has one, else by credit_code), 落地 whenever
   matched, and its durations in calendar days: first contact → signed, signed → in the library
   (the matched project's registered_on), in the library → construction start (actual 开工).
   Leads that left the weekly snapshot stay, with in_ledger false. #}
with

leads as (
    select * from {{ ref('int_leads_matched') }}
),

final as (
    select
        leads.lead_id,
        leads.project_name,
        leads.sourcing_unit,
        leads.street_code,
        leads.industry,
        leads.intended_investment,
        leads.stage,
        leads.first_contact_on,
        leads.signed_on,
        leads.project_code,
        leads.registered_on,
        leads.started_on,
        leads.signed_on - leads.first_contact_on as days_contact_to_sign,
        leads.registered_on - leads.signed_on as days_sign_to_registry,
        leads.started_on - leads.registered_on as days_registry_to_start,
        leads.in_ledger,
        leads.feed_stage,
        leads.investor,
        leads.credit_code,
        leads.lead_project_code,
        leads.matched_via,
        {{ as_of() }} as as_of
    from leads
)

select * from final
