{# relocated_not_new: a registry project whose enterprise (credit_code) paid tax in the district in
   the ttm_months full months before the month of registered_on under a carrier other than the
   project's (a tax row with a non-blank carrier different from the project's carrier): an
   existing enterprise moved between carriers, not new investment. One row per registry project. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

payments as (
    select * from {{ ref('stg_tax__payments') }}
),

prior_tax as (
    select
        projects.project_code,
        string_agg(distinct payments.carrier, '、' order by payments.carrier) as prior_carriers,
        round(sum(payments.amount_yuan) / {{ var('yuan_per_wan') }}::numeric, 4) as prior_tax_wan
    from projects
    inner join payments
        on
            projects.credit_code = payments.credit_code
            and payments.period < date_trunc('month', projects.registered_on)
            and payments.period >= date_trunc('month', projects.registered_on)
            - interval '{{ var("relocation_lookback_months") }} months'
    where
        payments.amount_yuan > 0
        and payments.carrier is not null
        and payments.carrier is distinct from projects.carrier
    group by projects.project_code
),

flagged as (
    select
        projects.project_code,
        projects.credit_code,
        projects.carrier,
        projects.registered_on,
        prior_tax.project_code is not null as relocated_not_new,
        prior_tax.prior_carriers,
        prior_tax.prior_tax_wan
    from projects
    left join prior_tax on projects.project_code = prior_tax.project_code
)

select * from flagged
