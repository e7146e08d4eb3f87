{# Data quality checks (数据质量校验): the latest run of each night's Great Expectations checks,
   one row per check, with the keys of the failing rows. #}
with

results as (
    select * from {{ source('quality', 'check_result') }}
),

runs as (
    select * from {{ source('quality', 'check_run') }}
),

latest_runs as (
    select
        runs.run_date,
        max(runs.run_id) as run_id
    from runs
    group by runs.run_date
),

final as (
    select
        results.run_date,
        results.check_name,
        results.suite,
        results.success,
        results.evaluated,
        results.unexpected,
        results.failing_keys,
        results.error,
        results.checked_at,
        results.run_id
    from results
    inner join latest_runs
        on results.run_id = latest_runs.run_id
)

select * from final
