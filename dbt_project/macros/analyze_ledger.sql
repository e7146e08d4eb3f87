{# Planner statistics for the event store, which a fresh load leaves without any, and the BRIN
   summaries of the pages loaded since the last night. Called by on-run-start, or once per night
   by `dbt run-operation analyze_ledger` before many dbt invocations (the Airflow DAG), which
   then pass the var ledger_analyzed. #}
{% macro analyze_ledger() -%}
    {%- if execute -%}
        {%- do run_query('select ledger.analyze_stale()') -%}
        {%- do run_query('select ledger.summarize_new_ranges()') -%}
    {%- endif -%}
{%- endmacro %}

{# Post-hook of a table a night merges into: its planner statistics sampled again when they are
   stale (none yet, or the table grown by a tenth since: projledger/db/migrations/
   022_analyze_if_stale.sql), not after every merge of a few keys. #}
{% macro analyze_if_stale() -%}
    select ledger.analyze_if_stale('{{ this }}'::regclass)
{%- endmacro %}
