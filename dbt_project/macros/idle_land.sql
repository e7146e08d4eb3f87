{# Idle land (闲置土地处置办法) as of the run's as_of, for fct_land_parcel.is_idle and the idle_land
   rule. A parcel is idle once its agreed start is more than idle_land_years past (calendar years:
   2024-02-29 + 1 year = 2025-02-28, 2023-03-01 + 1 year = 2024-03-01, not 365 days) and it has not
   started by as_of (an actual_start after as_of has not happened yet). #}

{# The first day the parcel can be idle: agreed_start + idle_land_years. #}
{% macro idle_land_since(agreed_start) -%}
    ({{ agreed_start }} + interval '1 year' * {{ var('idle_land_years') }})::date
{%- endmacro %}

{% macro is_idle_land(agreed_start, actual_start) -%}
    coalesce(
        {{ as_of() }} > {{ idle_land_since(agreed_start) }}
        and not {{ happened(actual_start) }},
        false
    )
{%- endmacro %}
