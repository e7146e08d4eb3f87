{# A scorecard component's score: weight × min(actual ÷ target, cap), rounded to two decimals; no
   target (0 or missing) scores nothing. #}
{% macro scorecard_score(component, relation) -%}
    round(
        {{ var('scorecard_weights')[component] }} * coalesce(
            least(
                {{ relation }}.{{ component }} / nullif({{ relation }}.target_{{ component }}, 0),
                {{ var('scorecard_cap') }}
            ),
            0
        ),
        2
    )
{%- endmacro %}

{# The grade of a score against the bounds of the rules config, highest first. #}
{% macro scorecard_grade(score) -%}
    case
        when {{ score }} >= {{ var('scorecard_grade_excellent') }} then '优秀'
        when {{ score }} >= {{ var('scorecard_grade_good') }} then '良好'
        when {{ score }} >= {{ var('scorecard_grade_pass') }} then '合格'
        else '不合格'
    end
{%- endmacro %}

{# A street-quarter's published figures, from the five actuals to the score: one list for the
   scoring, the freeze log and the mart. #}
{% macro scorecard_figures(relation) -%}
    {%- set columns = [
        'major_projects', 'investment_wan', 'hitech', 'conversions', 'signed_leads_wan',
        'score_major_projects', 'score_investment', 'score_hitech', 'score_conversions',
        'score_signed_leads', 'red_cards', 'yellow_cards', 'open_gaps', 'penalty', 'score'
    ] -%}
    {%- for column in columns %}
        {{ relation }}.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
