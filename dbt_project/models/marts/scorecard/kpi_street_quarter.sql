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
        logged.major_projects,
        logged.investment_wan,
        logged.hitech,
        logged.conversions,
        logged.signed_leads_wan,
        logged.score_major_projects,
        logged.score_investment,
        logged.score_hitech,
        logged.score_conversions,
        logged.score_signed_leads,
        logged.red_cards,
        logged.yellow_cards,
        logged.open_gaps,
        logged.penalty,
        logged.score,
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
        scored.major_projects,
        scored.investment_wan,
        scored.hitech,
        scored.conversions,
        scored.signed_leads_wan,
        scored.score_major_projects,
        scored.score_investment,
        scored.score_hitech,
        scored.score_conversions,
        scored.score_signed_leads,
        scored.red_cards,
        scored.yellow_cards,
        scored.open_gaps,
        scored.penalty,
        scored.score,
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
