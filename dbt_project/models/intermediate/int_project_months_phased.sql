{# One row per registry project and month, from the month it first matters (the earliest of
   registration, planned start and actual start) through the as_of month: is it started, under
   construction (actual 开工 on or before the month's end, no actual 竣工 before its start), in
   production (from the month after the actual 投产 month)? #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

bounds as (
    select
        projects.*,
        date_trunc(
            'month',
            least(
                coalesce(projects.registered_on, {{ as_of() }}),
                coalesce(projects.planned_start, {{ as_of() }}),
                coalesce(projects.actual_start_on, {{ as_of() }})
            )
        )::date as first_period
    from projects
),

months as (
    select
        bounds.project_code,
        bounds.credit_code,
        bounds.street_code,
        bounds.actual_start_on,
        bounds.actual_completion_on,
        bounds.actual_production_on,
        series.period::date as period
    from bounds
    cross join lateral generate_series(
        bounds.first_period::timestamp,
        date_trunc('month', {{ as_of() }})::timestamp,
        interval '1 month'
    ) as series (period)
),

phased as (
    select
        months.project_code,
        months.credit_code,
        months.street_code,
        months.period,
        (months.period + interval '1 month' - interval '1 day')::date as period_end,
        coalesce(
            months.actual_start_on <= (months.period + interval '1 month' - interval '1 day')::date,
            false
        ) as is_started,
        coalesce(
            months.actual_start_on <= (months.period + interval '1 month' - interval '1 day')::date
            and (
                months.actual_completion_on is null or months.actual_completion_on >= months.period
            ),
            false
        ) as is_under_construction,
        coalesce(
            months.period
            >= (date_trunc('month', months.actual_production_on) + interval '1 month'),
            false
        ) as is_in_production
    from months
)

select * from phased
