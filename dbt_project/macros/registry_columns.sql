{# The typed registry columns of an event's data (feeds.md `registry`), shared by the current
   projects and their snapshot history so the two can never cast a column differently. #}
{% macro registry_columns(source) -%}
    {{ source }}.data ->> 'project_name' as project_name,
    {{ source }}.data ->> 'credit_code' as credit_code,
    {{ source }}.data ->> 'street_code' as street_code,
    {{ source }}.data ->> 'industry' as industry,
    {{ source }}.data ->> 'project_kind' as project_kind,
    {{ source }}.data ->> 'carrier' as carrier,
    ({{ source }}.data ->> 'planned_investment')::numeric as planned_investment,
    ({{ source }}.data ->> 'planned_start')::date as planned_start,
    ({{ source }}.data ->> 'planned_completion')::date as planned_completion,
    ({{ source }}.data ->> 'planned_production')::date as planned_production,
    ({{ source }}.data ->> 'registered_on')::date as registered_on,
    ({{ source }}.data ->> 'committed_tax_per_mu')::numeric as committed_tax_per_mu
{%- endmacro %}
