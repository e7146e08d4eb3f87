{# The typed leads columns of an event's data (feeds.md `leads`), as registry_columns does for
   the registry. #}
{% macro lead_column_names() -%}
    {{ return([
        'project_name', 'investor', 'credit_code', 'sourcing_unit', 'street_code', 'industry',
        'intended_investment', 'stage', 'first_contact_on', 'signed_on', 'project_code',
    ]) }}
{%- endmacro %}

{% macro lead_columns(source) -%}
    {%- for column in lead_column_names() %}
    ({{ source }}.fact).{{ column }} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{# A carrier name as compared by the rules: full-width characters folded to their ASCII forms
   (Unicode NFKC, which also turns the ideographic space into a space), then trimmed. Blank is
   null. #}
{% macro fold_name(expression) -%}
    nullif(btrim(normalize({{ expression }}, nfkc)), '')
{%- endmacro %}

{# Working days after start_day up to and including end_day (rules.md "Working days"), from the
   running workday count of two joined calendar rows: null when either date is unknown or
   outside the calendar. #}
{% macro working_days(start_calendar, end_calendar) -%}
    ({{ end_calendar }}.workday_seq - {{ start_calendar }}.workday_seq)
{%- endmacro %}

{# The TTM tax window as two date columns, first_month and last_month: the ttm_months months
   ending with the last month whose tax is due at as_of (due day tax_due_day of the next month).
   Computed here, as literals: date_trunc of a date is only stable, so in SQL it would be taken
   again for every row it filters, and the planner would guess at what it keeps. #}
{% macro tax_ttm_bounds() -%}
    {%- set day = as_of_str() -%}
    {#- months since year 0 of the month of as_of - (tax_due_day - 1) days: as_of's own month
        from its due day on, the month before until then -#}
    {%- set month = (day[0:4] | int) * 12 + (day[5:7] | int) - 1
        - (1 if (day[8:10] | int) < (var('tax_due_day') | int) else 0) -%}
    date '{{ month_literal(month - (var('ttm_months') | int)) }}' as first_month,
    date '{{ month_literal(month - 1) }}' as last_month
{%- endmacro %}

{% macro month_literal(month) -%}
    {{- '%04d-%02d-01' | format(month // 12, month % 12 + 1) -}}
{%- endmacro %}
