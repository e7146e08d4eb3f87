{# Carriers (载体) per quarter of the carriers feed (period = the quarter's last month): areas and
   vacancy (1 - occupied / usable, built carriers only), the registry projects naming it (by name
   or alias, folded) in the library at the quarter's end (or as_of), the enterprises paying tax
   under it in the TTM window ending with the quarter's last month (capped at the last month due
   at as_of) and their tax per occupied m² (元/m²), and how many of its current registry projects
   are relocated_not_new (moved in from another carrier). #}
with

carriers as (
    select * from {{ ref('stg_carriers__carriers') }}
),

names as (
    select * from {{ ref('int_carrier_names') }}
),

versions as (
    select * from {{ ref('dim_project') }}
),

payer_months as (
    select * from {{ ref('int_tax_payer_months') }}
),

relocation as (
    select * from {{ ref('int_projects_relocation_flagged') }}
),

ttm as (
    select {{ tax_ttm_bounds() }}
),

quarters as (
    select
        carriers.*,
        least(
            (carriers.period + interval '1 month' - interval '1 day')::date, {{ as_of() }}
        ) as judged_on,
        least(carriers.period, ttm.last_month) as tax_last_month
    from carriers
    cross join ttm
),

project_links as (
    select distinct
        quarters.carrier_name,
        quarters.period,
        versions.project_code
    from quarters
    inner join names
        on
            quarters.carrier_name = names.carrier_name
            and quarters.period = names.period
    inner join versions
        on
            {{ fold_name('versions.carrier') }} = names.folded_name
            and versions.version_status = 'in_registry'
            and quarters.judged_on >= versions.valid_from
            and (versions.valid_to is null or quarters.judged_on < versions.valid_to)
),

project_counts as (
    select
        project_links.carrier_name,
        project_links.period,
        count(*) as projects_in_registry,
        count(*) filter (where relocation.relocated_not_new) as relocated_in
    from project_links
    left join relocation on project_links.project_code = relocation.project_code
    group by project_links.carrier_name, project_links.period
),

-- Each quarter's names, month by month of its window: the tax months are then joined on
-- (name, month), an equality the planner sizes from the payer months' statistics (a range join
-- it guesses at far too small, and sorts the whole window's rows on disk to group them).
quarter_months as (
    select
        quarters.carrier_name,
        quarters.period,
        names.folded_name,
        (quarters.tax_last_month - interval '1 month' * months_back.n)::date as tax_month
    from quarters
    inner join names
        on
            quarters.carrier_name = names.carrier_name
            and quarters.period = names.period
    -- integers: the planner knows how many rows this gives
    cross join generate_series(0, {{ var('ttm_months') }} - 1) as months_back (n)
),

-- per quarter, each enterprise once (a hash per enterprise rather than a sort of every month)
tax_payers as (
    select
        quarter_months.carrier_name,
        quarter_months.period,
        payer_months.credit_code,
        sum(payer_months.amount_yuan) as tax_ttm_yuan
    from quarter_months
    inner join payer_months
        on
            quarter_months.folded_name = payer_months.carrier_folded
            and quarter_months.tax_month = payer_months.period
    group by quarter_months.carrier_name, quarter_months.period, payer_months.credit_code
),

tax_totals as (
    select
        tax_payers.carrier_name,
        tax_payers.period,
        count(*) as taxpayers,
        sum(tax_payers.tax_ttm_yuan) as tax_ttm_yuan
    from tax_payers
    group by tax_payers.carrier_name, tax_payers.period
),

final as (
    select
        quarters.carrier_name,
        quarters.period,
        quarters.street_code,
        quarters.carrier_kind,
        quarters.build_status,
        quarters.total_area_m2,
        quarters.usable_area_m2,
        quarters.occupied_area_m2,
        case
            when quarters.build_status = '{{ var("carrier_built") }}'
                then round(
                    1 - quarters.occupied_area_m2 / nullif(quarters.usable_area_m2, 0), 4
                )
        end as vacancy_rate,
        quarters.investment_completed,
        quarters.brand_level,
        coalesce(project_counts.projects_in_registry, 0) as projects_in_registry,
        coalesce(tax_totals.taxpayers, 0) as taxpayers,
        round(coalesce(tax_totals.tax_ttm_yuan, 0) / {{ var('yuan_per_wan') }}::numeric, 6)
            as tax_ttm_wan,
        round(
            coalesce(tax_totals.tax_ttm_yuan, 0) / nullif(quarters.occupied_area_m2, 0), 2
        ) as tax_per_m2_ttm_yuan,
        coalesce(project_counts.relocated_in, 0) as relocated_in,
        quarters.aliases,
        {{ as_of() }} as as_of
    from quarters
    left join project_counts
        on
            quarters.carrier_name = project_counts.carrier_name
            and quarters.period = project_counts.period
    left join tax_totals
        on
            quarters.carrier_name = tax_totals.carrier_name
            and quarters.period = tax_totals.period
)

select * from final
