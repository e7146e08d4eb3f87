{# The trailing window (TTM) of kpi_project and the tax_commitment_shortfall rule: the ttm_months
   months ending with the last month whose data is due as of the run's as_of, a month being due on
   day `due_day` of the next month (tax: var tax_due_day). #}

{# The last month of the window (first day of the month). #}
{% macro ttm_last_month(due_day) -%}
    (date_trunc('month', {{ as_of() }} - {{ due_day }} + 1) - interval '1 month')::date
{%- endmacro %}

{# The first month of the window (first day of the month). #}
{% macro ttm_first_month(due_day) -%}
    ({{ ttm_last_month(due_day) }} - interval '1 month' * ({{ var('ttm_months') }} - 1))::date
{%- endmacro %}

{# Sum of `value` over the rows whose month `period` is in the window: an aggregate (null when
   no row is in it). #}
{% macro ttm_sum(value, period, due_day) -%}
    sum({{ value }}) filter (
        where {{ period }} between {{ ttm_first_month(due_day) }} and {{ ttm_last_month(due_day) }}
    )
{%- endmacro %}

{# Trailing tax in 万元 of rows carrying amount_yuan (元) per month: 0 when none is in the window. #}
{% macro ttm_tax_wan(amount_yuan, period) -%}
    coalesce({{ ttm_sum(amount_yuan, period, var('tax_due_day')) }}, 0)
    / {{ var('yuan_per_wan') }}::numeric
{%- endmacro %}
