{# The run's business date as a string 'YYYY-MM-DD': the `as_of` var, else (only while a
   command runs) the PROJLEDGER_AS_OF environment variable. The callers always pass one
   (projledger's dbt runner the variable, the DAG and each Cosmos task the var; the default,
   yesterday in the district's time zone, is projledger.settings.default_as_of). dbt keeps its
   parse of the project only for the same --vars, and an environment variable read while
   parsing would tie the parse to its value: the runner's nights, each with a new date, then
   reuse one parse. Business logic never reads the clock, so a run without a date stops with a
   clear message instead of guessing; while dbt only parses the project a placeholder stands
   in. #}
{% macro as_of_str() -%}
    {%- set value = var('as_of', none) -%}
    {%- if (value is none or (value | string | trim) == '') and execute -%}
        {%- set value = env_var('PROJLEDGER_AS_OF', '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- set missing = "as_of is not set: pass the business date, e.g. --vars"
            ~ " '{as_of: 2026-11-24}' or PROJLEDGER_AS_OF=2026-11-24 (projledger build and"
            ~ " run pass it)" -%}
        {{- exceptions.raise_compiler_error(missing) if execute else '1970-01-01' -}}
    {%- else -%}
        {{- value | string | trim -}}
    {%- endif -%}
{%- endmacro %}

{# The run's business date as a SQL date literal. #}
{% macro as_of() -%}
    date '{{ as_of_str() }}'
{%- endmacro %}

{# Whether a date (SQL of a date column) has happened as of the run's as_of: on or before it. A
   date after as_of has not happened yet (a street may report a planned date as actual), in every
   mart and rule alike; null has not happened. #}
{% macro happened(date_sql) -%}
    coalesce({{ date_sql }} <= {{ as_of() }}, false)
{%- endmacro %}
