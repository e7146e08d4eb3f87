{# A data test's `where` config is rendered when dbt parses the project, and the parse is kept
   across nights (macros/as_of.sql): the token __as_of__ in it stands for the business date and
   is put in when the test runs. dbt's own macro otherwise, overridden as dbt documents for a
   custom `where`. #}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__as_of__', as_of()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
