{# Rule investment_lag: cumulative stats_fai investment at the project's last reported month below
   the straight-line plan of that month (int_investment_plan_spread): below investment_lag_yellow
   of plan yellow, below investment_lag_red red. The cumulative figure is the reported 自开工累计
   when present, else the sum of monthly investment through that month. measure = actual / plan. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

reports as (
    select * from {{ ref('stg_stats_fai__reports') }}
    where period <= {{ as_of() }}
),

plan as (
    select * from {{ ref('int_investment_plan_spread') }}
),

last_report as (
    select distinct on (reports.project_code)
        reports.project_code,
        reports.period,
        coalesce(
            reports.cumulative_investment,
            sum(reports.month_investment) over (
                partition by reports.project_code order by reports.period
            )
        ) as actual_cumulative
    from reports
    order by reports.project_code asc, reports.period desc
),

compared as (
    select
        projects.project_code,
        projects.street_code,
        last_report.period,
        last_report.actual_cumulative,
        plan.planned_cumulative_investment,
        round(last_report.actual_cumulative / plan.planned_cumulative_investment, 4) as ratio
    from projects
    inner join last_report on projects.project_code = last_report.project_code
    inner join plan
        on
            last_report.project_code = plan.project_code
            and last_report.period = plan.period
    where plan.planned_cumulative_investment > 0
),

graded as (
    select
        'investment_lag' as rule_id,
        compared.project_code,
        null::text as parcel_no,
        null::text as node,
        compared.street_code,
        null::integer as delay_days,
        compared.ratio as measure,
        case
            when compared.ratio < {{ var('investment_lag_red') }} then 'red'
            else 'yellow'
        end as grade,
        to_char(compared.period, 'YYYY-MM') || ' 累计完成投资 ' || compared.actual_cumulative::text
        || ' 万元，计划 ' || compared.planned_cumulative_investment::text || ' 万元（完成 '
        || round(compared.ratio * 100, 1)::text || '%）' as detail
    from compared
    where compared.ratio < {{ var('investment_lag_yellow') }}
)

select * from graded
