{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ project_month_prune() }}",
) }}
-- depends_on: {{ ref('stg_ledger__events') }}
{# Project x month facts for every project ever in the registry: stats_fai investment, tax
   (the enterprise's, 元 -> 万元), output and revenue (stats_enterprise), for months with any data
   up to the as_of month. Incremental: the pre-hook deletes the projects touched since the last
   build; only projects absent from the table are computed and appended. A full refresh gives the
   same rows. Tax and enterprise figures belong to the credit_code, so projects sharing an
   enterprise show the same figures. #}
with

snapshots as (
    select * from {{ ref('stg_registry__snapshots') }}
),

fai as (
    select * from {{ ref('stg_stats_fai__reports') }}
),

enterprise as (
    select * from {{ ref('stg_stats_enterprise__reports') }}
),

tax_rows as (
    select * from {{ ref('stg_tax__payments') }}
),

projects as (
    select distinct on (snapshots.project_code)
        snapshots.project_code,
        snapshots.credit_code,
        snapshots.delivered_on,
        snapshots.batch_id
    from snapshots
    where
        snapshots.op = 'upsert'
        {% if is_incremental() %}
            and snapshots.project_code not in (
                select built.project_code from {{ this }} as built
            )
        {% endif %}
    order by snapshots.project_code asc, snapshots.delivered_on desc, snapshots.delivery_rank desc
),

-- only the enterprises of the projects being built: on an incremental night a few, not every
-- taxpayer of the feed
tax as (
    select
        tax_rows.credit_code,
        tax_rows.period,
        sum(tax_rows.amount_yuan) / {{ var('yuan_per_wan') }}::numeric as tax_wan,
        max(tax_rows.delivered_on) as delivered_on,
        max(tax_rows.batch_id) as batch_id
    from tax_rows
    where tax_rows.credit_code in (select projects.credit_code from projects)
    group by tax_rows.credit_code, tax_rows.period
),

project_fai as (
    select
        projects.project_code,
        fai.period
    from projects
    inner join fai on projects.project_code = fai.project_code
),

project_tax as (
    select
        projects.project_code,
        tax.period
    from projects
    inner join tax on projects.credit_code = tax.credit_code
),

project_enterprise as (
    select
        projects.project_code,
        enterprise.period
    from projects
    inner join enterprise on projects.credit_code = enterprise.credit_code
),

cells as (
    select * from project_fai
    union
    select * from project_tax
    union
    select * from project_enterprise
),

final as (
    select
        cells.project_code,
        cells.period,
        projects.credit_code,
        fai.month_investment,
        fai.cumulative_investment,
        round(tax.tax_wan, 6) as tax_wan,
        enterprise.output_value,
        enterprise.revenue,
        enterprise.above_scale,
        greatest(
            projects.delivered_on, fai.delivered_on, tax.delivered_on, enterprise.delivered_on
        ) as last_delivered_on,
        greatest(projects.batch_id, fai.batch_id, tax.batch_id, enterprise.batch_id)
            as last_batch_id
    from cells
    inner join projects on cells.project_code = projects.project_code
    left join fai
        on
            cells.project_code = fai.project_code
            and cells.period = fai.period
    left join tax
        on
            projects.credit_code = tax.credit_code
            and cells.period = tax.period
    left join enterprise
        on
            projects.credit_code = enterprise.credit_code
            and cells.period = enterprise.period
    where cells.period <= date_trunc('month', {{ as_of() }})
)

select * from final
