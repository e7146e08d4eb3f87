{# `column` (an event's batch_id) among the batches of `ids`, an SQL array expression, as a
   condition the BRIN index on batch_id serves. Given only the array (a value known at run
   time), the planner takes it for a third of the partition and scans all of it (about 1 s for
   the province's tax events); given its range besides, two run-time bounds, it takes a narrow
   one and reads only those batches' block ranges. #}
{% macro in_batches(column, ids) -%}
    {{ column }} between (select min(batch.id) from unnest({{ ids }}) as batch (id))
    and (select max(batch.id) from unnest({{ ids }}) as batch (id))
    and {{ column }} = any({{ ids }})
{%- endmacro %}
