{# Rule unknown_carrier: a non-blank carrier name used by a registry project, or by a tax row of
   the TTM window, that is neither a carrier_name nor an alias in the latest carriers delivery
   known at as_of, names compared folded (trimmed, full-width folded). One gap per folded name;
   detail says where it was used. Before the first carriers delivery the rule finds nothing
   (missing_feed reports the feed). Owned by the project office. #}
with

names as (
    select * from {{ ref('int_carrier_names') }}
    where is_latest
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

payer_months as (
    select * from {{ ref('int_tax_payer_months') }}
),

ttm as (
    select
        {{ tax_ttm_bounds() }}
),

registry_uses as (
    select
        {{ fold_name('projects.carrier') }} as folded_name,
        min(projects.carrier) as used_name,
        count(*) as n_projects,
        min(projects.project_code) as first_project_code,
        0 as n_taxpayers
    from projects
    where {{ fold_name('projects.carrier') }} is not null
    group by {{ fold_name('projects.carrier') }}
),

-- each taxpayer once per name first (a hash of the rows, where count(distinct) sorts them all),
-- of the names the directory does not know only: a gap is found for no other, and the known
-- names are most of the tax rows (leaving them out first spares grouping them)
tax_payers as (
    select
        payer_months.carrier_folded as folded_name,
        payer_months.credit_code,
        min(payer_months.carrier) as used_name
    from payer_months
    cross join ttm
    where
        payer_months.period between ttm.first_month and ttm.last_month
        and payer_months.carrier_folded is not null
        and not exists (
            select 1 from names
            where names.folded_name = payer_months.carrier_folded
        )
    group by payer_months.carrier_folded, payer_months.credit_code
),

tax_uses as (
    select
        tax_payers.folded_name,
        min(tax_payers.used_name) as used_name,
        0 as n_projects,
        null::text as first_project_code,
        count(*) as n_taxpayers
    from tax_payers
    group by tax_payers.folded_name
),

uses as (
    select
        all_uses.folded_name,
        min(all_uses.used_name) as used_name,
        sum(all_uses.n_projects) as n_projects,
        min(all_uses.first_project_code) as first_project_code,
        sum(all_uses.n_taxpayers) as n_taxpayers
    from (
        select * from registry_uses
        union all
        select * from tax_uses
    ) as all_uses
    group by all_uses.folded_name
),

latest as (
    select max(names.period) as period from names
),

gaps as (
    select
        'unknown_carrier' as rule_id,
        uses.folded_name as subject_key,
        case when uses.n_projects = 1 then uses.first_project_code end as project_code,
        null::text as credit_code,
        null::text as parcel_no,
        null::text as street_code,
        'carriers' as feed,
        null::date as period,
        '载体「' || uses.used_name || '」不在载体平台名录（' || to_char(latest.period, 'YYYY-MM')
        || '）中：'
        || concat_ws(
            '；',
            case
                when uses.n_projects > 0
                    then
                        '项目库 ' || uses.n_projects::text || ' 个项目（'
                        || uses.first_project_code
                        || case when uses.n_projects > 1 then ' 等' else '' end || '）'
            end,
            case
                when uses.n_taxpayers > 0
                    then '近12个月税收 ' || uses.n_taxpayers::text || ' 户纳税人'
            end
        ) as detail
    from uses
    cross join latest
    where
        latest.period is not null
        and not exists (
            select 1 from names
            where names.folded_name = uses.folded_name
        )
)

select * from gaps
