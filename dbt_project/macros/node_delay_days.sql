{# A milestone node's delay in days as of the run's as_of (fct_milestone and node_overdue): once
   met (actual_date on or before as_of) actual_date - planned_date; while not met (no actual date,
   or one after as_of) as_of - planned_date; never below 0 (on time); null without a plan. #}
{% macro node_delay_days(planned_date, actual_date) -%}
    case
        when {{ planned_date }} is null then null
        when {{ happened(actual_date) }}
            then greatest({{ actual_date }} - {{ planned_date }}, 0)
        else greatest({{ as_of() }} - {{ planned_date }}, 0)
    end
{%- endmacro %}
