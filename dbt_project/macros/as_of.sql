{# The run's business date as a string 'YYYY-MM-DD': the `as_of` var when given, otherwise
   yesterday in the district's time zone. Business logic never reads the clock itself. #}
{% macro as_of_str() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- set tz = modules.pytz.timezone(var('timezone', 'Asia/Shanghai')) -%}
        {%- set today = modules.datetime.datetime.now(tz).date() -%}
        {{- (today - modules.datetime.timedelta(days=1)).isoformat() -}}
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
