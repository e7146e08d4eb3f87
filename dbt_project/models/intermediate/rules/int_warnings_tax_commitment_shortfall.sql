{# Rule tax_commitment_shortfall: once tax_commitment_months have passed since the actual 投产, the
   trailing-twelve-month tax (万元) of the project's enterprise per mu of the project's land (parcels
   carrying its project_code) below committed_tax_per_mu: below tax_shortfall_yellow of the
   commitment yellow, below tax_shortfall_red red. The TTM window and tax are the macros of
   macros/ttm.sql, as kpi_project.tax_ttm_wan: the ttm_months months ending with the last month
   whose tax is due at as_of. A month with no tax row counts as zero. measure = tax per mu /
   commitment. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

links as (
    select * from {{ ref('int_projects_linked') }}
    where link_via = 'project_code'
),

payments as (
    select * from {{ ref('stg_tax__payments') }}
),

land as (
    select
        links.project_code,
        sum(links.area_mu) as land_mu
    from links
    group by links.project_code
),

candidates as (
    select
        projects.project_code,
        projects.credit_code,
        projects.street_code,
        projects.committed_tax_per_mu,
        projects.actual_production_on,
        land.land_mu
    from projects
    inner join land on projects.project_code = land.project_code
    where
        projects.committed_tax_per_mu > 0
        and land.land_mu > 0
        and projects.actual_production_on
        + interval '{{ var("tax_commitment_months") }} months' <= {{ as_of() }}
),

ttm_tax as (
    select
        candidates.project_code,
        {{ ttm_first_month(var('tax_due_day')) }} as first_month,
        {{ ttm_last_month(var('tax_due_day')) }} as last_month,
        {{ ttm_tax_wan('payments.amount_yuan', 'payments.period') }} as tax_ttm_wan
    from candidates
    left join payments on candidates.credit_code = payments.credit_code
    group by candidates.project_code
),

compared as (
    select
        candidates.project_code,
        candidates.street_code,
        candidates.committed_tax_per_mu,
        candidates.land_mu,
        ttm_tax.first_month,
        ttm_tax.last_month,
        round(ttm_tax.tax_ttm_wan, 4) as tax_ttm_wan,
        round(ttm_tax.tax_ttm_wan / candidates.land_mu, 4) as tax_per_mu,
        round(
            ttm_tax.tax_ttm_wan / candidates.land_mu / candidates.committed_tax_per_mu, 4
        ) as ratio
    from candidates
    inner join ttm_tax on candidates.project_code = ttm_tax.project_code
),

graded as (
    select
        'tax_commitment_shortfall' as rule_id,
        compared.project_code,
        null::text as parcel_no,
        null::text as node,
        compared.street_code,
        null::integer as delay_days,
        compared.ratio as measure,
        case
            when compared.ratio < {{ var('tax_shortfall_red') }} then 'red'
            else 'yellow'
        end as grade,
        to_char(compared.first_month, 'YYYY-MM') || '至' || to_char(compared.last_month, 'YYYY-MM')
        || ' 亩均税收 ' || compared.tax_per_mu::text || ' 万元/亩，承诺 '
        || compared.committed_tax_per_mu::text || ' 万元/亩（完成 '
        || round(compared.ratio * 100, 1)::text || '%）' as detail
    from compared
    where compared.ratio < {{ var('tax_shortfall_yellow') }}
)

select * from graded
