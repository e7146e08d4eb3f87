{# The cells that must be reported: stats_fai for each registry project under construction in a
   month; tax for each credit_code of a registry project in production (every month from the
   month after its actual 投产). Each cell carries its due date (day N of the next month, N from
   the vars), whether it is due at as_of, and whether a current row exists. #}
with

phased as (
    select * from {{ ref('int_project_months_phased') }}
),

fai_reports as (
    select * from {{ ref('stg_stats_fai__reports') }}
),

tax_payments as (
    select * from {{ ref('stg_tax__payments') }}
),

fai_cells as (
    select
        'stats_fai' as feed,
        phased.project_code as subject_key,
        phased.project_code,
        phased.credit_code,
        phased.street_code,
        phased.period,
        (
            phased.period + interval '1 month' + ({{ var('fai_due_day') }} - 1) * interval '1 day'
        )::date as due_on
    from phased
    where phased.is_under_construction
),

tax_cells as (
    select
        'tax' as feed,
        phased.credit_code as subject_key,
        min(phased.project_code) as project_code,
        phased.credit_code,
        min(phased.street_code) as street_code,
        phased.period,
        (
            phased.period + interval '1 month' + ({{ var('tax_due_day') }} - 1) * interval '1 day'
        )::date as due_on
    from phased
    where
        phased.is_in_production
        and phased.credit_code is not null
    group by phased.credit_code, phased.period
),

fai_keys as (
    select distinct
        fai_reports.project_code,
        fai_reports.period
    from fai_reports
),

fai_reported as (
    select
        fai_cells.*,
        fai_keys.project_code is not null as has_report
    from fai_cells
    left join fai_keys
        on
            fai_cells.project_code = fai_keys.project_code
            and fai_cells.period = fai_keys.period
),

-- probed per cell through the credit_code index, not a distinct of every tax row
tax_reported as (
    select
        tax_cells.*,
        exists(
            select 1 from tax_payments
            where
                tax_payments.credit_code = tax_cells.credit_code
                and tax_payments.period = tax_cells.period
        ) as has_report
    from tax_cells
),

cells as (
    select * from fai_reported
    union all
    select * from tax_reported
),

final as (
    select
        cells.feed,
        cells.subject_key,
        cells.project_code,
        cells.credit_code,
        cells.street_code,
        cells.period,
        cells.due_on,
        cells.due_on <= {{ as_of() }} as is_due,
        cells.has_report
    from cells
)

select * from final
