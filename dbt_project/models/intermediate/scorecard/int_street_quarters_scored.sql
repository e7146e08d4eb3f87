{# Every street and quarter scored as of the run: each component weight × min(actual ÷ target,
   cap) rounded to two decimals, less the penalty (capped), ranked within the quarter with shared
   places (1, 2, 2, 4) and graded. final_from is the day the quarter becomes final (day
   scorecard_final_day of the month after it); int_street_quarter_finals freezes it that night. #}
with

actuals as (
    select * from {{ ref('int_street_quarter_actuals') }}
),

penalties as (
    select * from {{ ref('int_street_penalties_counted') }}
),

components as (
    select
        actuals.*,
        penalties.red_cards,
        penalties.yellow_cards,
        penalties.open_gaps,
        {{ scorecard_score('major_projects', 'actuals') }} as score_major_projects,
        {{ scorecard_score('investment_wan', 'actuals') }} as score_investment,
        {{ scorecard_score('hitech', 'actuals') }} as score_hitech,
        {{ scorecard_score('conversions', 'actuals') }} as score_conversions,
        {{ scorecard_score('signed_leads_wan', 'actuals') }} as score_signed_leads,
        round(least(
            {{ var('scorecard_penalty_red') }} * penalties.red_cards
            + {{ var('scorecard_penalty_yellow') }} * penalties.yellow_cards
            + {{ var('scorecard_penalty_gap') }} * penalties.open_gaps,
            {{ var('scorecard_penalty_max') }}
        ), 2) as penalty
    from actuals
    inner join penalties on actuals.street_code = penalties.street_code
),

scored as (
    select
        components.*,
        round(
            components.score_major_projects
            + components.score_investment
            + components.score_hitech
            + components.score_conversions
            + components.score_signed_leads
            - components.penalty,
            2
        ) as score
    from components
),

ranked as (
    select
        scored.street_code,
        scored.quarter,
        (
            scored.quarter + interval '3 months'
            + interval '1 day' * ({{ var('scorecard_final_day') }} - 1)
        )::date as final_from,
        {{ scorecard_figures('scored') }},
        rank() over (partition by scored.quarter order by scored.score desc) as rank,
        {{ scorecard_grade('scored.score') }} as grade
    from scored
)

select * from ranked
