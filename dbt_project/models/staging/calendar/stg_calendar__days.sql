{# workday_seq is the running count of working days through the date, so the working days
   after a date up to and including a later one are the difference of their workday_seq
   (macros/promotion_loop.sql working_days). #}
with

source as (
    select * from {{ source('calendar', 'work_calendar') }}
),

numbered as (
    select
        source.day,
        source.is_workday,
        source.holiday_name,
        source.source,
        sum(case when source.is_workday then 1 else 0 end) over (
            order by source.day rows between unbounded preceding and current row
        )::integer as workday_seq
    from source
)

select * from numbered
