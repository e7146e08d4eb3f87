{# Custom schema names are used as-is (staging, intermediate, marts, ref), not prefixed with the
   target schema, so BI roles and other packages can rely on fixed schema names. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
