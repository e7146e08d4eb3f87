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
