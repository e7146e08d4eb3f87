{# The typed registry columns of an event's data (feeds.md `registry`), shared by the current
   projects and their snapshot history so the two can never cast a column differently. #}
{% macro registry_columns(source) -%}
    ({{ source }}.fact).project_name as project_name,
    ({{ source }}.fact).credit_code as credit_code,
    ({{ source }}.fact).street_code as street_code,
    ({{ source }}.fact).industry as industry,
    ({{ source }}.fact).project_kind as project_kind,
    ({{ source }}.fact).carrier as carrier,
    ({{ source }}.fact).planned_investment as planned_investment,
    ({{ source }}.fact).planned_start as planned_start,
    ({{ source }}.fact).planned_completion as planned_completion,
    ({{ source }}.fact).planned_production as planned_production,
    ({{ source }}.fact).registered_on as registered_on,
    ({{ source }}.fact).committed_tax_per_mu as committed_tax_per_mu
{%- endmacro %}
