{# The straight-line investment plan: planned_investment spread evenly over the calendar days
   from planned_start to planned_completion. The cumulative plan at a month's end is
   (min(month end, completion) - planned_start) / (completion - planned_start) of the total
   (capped at 100 %). One row per registry project and month, from the planned start month
   through the later of the completion month and the as_of month. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
    where
        planned_start is not null
        and planned_completion is not null
        and planned_completion >= planned_start
        and planned_investment is not null
),

months as (
    select
        projects.project_code,
        projects.planned_investment,
        projects.planned_start,
        projects.planned_completion,
        series.period::date as period,
        (series.period + interval '1 month' - interval '1 day')::date as period_end
    from projects
    cross join lateral generate_series(
        date_trunc('month', projects.planned_start)::timestamp,
        greatest(
            date_trunc('month', projects.planned_completion),
            date_trunc('month', {{ as_of() }})
        )::timestamp,
        interval '1 month'
    ) as series (period)
),

shares as (
    select
        months.*,
        coalesce(
            greatest(
                least(months.period_end, months.planned_completion) - months.planned_start, 0
            )::numeric
            / nullif(months.planned_completion - months.planned_start, 0),
            1
        ) as plan_share
    from months
),

spread as (
    select
        shares.project_code,
        shares.period,
        shares.period_end,
        shares.planned_investment,
        shares.plan_share,
        round(shares.planned_investment * shares.plan_share, 4) as planned_cumulative_investment,
        round(
            shares.planned_investment * shares.plan_share
            - coalesce(
                lag(shares.planned_investment * shares.plan_share) over (
                    partition by shares.project_code order by shares.period
                ),
                0
            ),
            4
        ) as planned_month_investment
    from shares
)

select * from spread
