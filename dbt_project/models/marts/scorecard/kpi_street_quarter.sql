{# 街道季度查评: one row per street and quarter begun by as_of. A final quarter shows the scores
   frozen on the night it became final (the earliest logged night on or before as_of); a quarter
   not final yet shows tonight's provisional scores. #}
with

scored as (
    select * from {{ ref('int_street_quarters_scored') }}
),

logged as (
    select * from {{ ref('int_street_quarter_finals') }}
    where computed_on <= {{ as_of() }}
),

final_nights as (
    select
        logged.quarter,
        min(logged.computed_on) as computed_on
    from logged
    group by logged.quarter
),

finals as (
    select
        logged.street_code,
        logged.quarter,
        true as is_final,
        logged.computed_on,
        {{ scorecard_figures('logged') }},
        logged.rank,
        logged.grade,
        logged.final_from
    from logged
    inner join final_nights
        on
            logged.quarter = final_nights.quarter
            and logged.computed_on = final_nights.computed_on
),

provisional as (
    select
        scored.street_code,
        scored.quarter,
        false as is_final,
        {{ as_of() }} as computed_on,
        {{ scorecard_figures('scored') }},
        scored.rank,
        scored.grade,
        scored.final_from
    from scored
    where not exists (
        select 1 from final_nights
        where final_nights.quarter = scored.quarter
    )
),

unioned as (
    select * from finals
    union all
    select * from provisional
)

select * from unioned
