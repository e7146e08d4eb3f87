{# The frozen scorecard: the night (computed_on = as_of) a quarter becomes final, the scores of
   that night are logged here and never recomputed. A quarter is final from the first run night
   on or after its final_from; a quarter already logged by an earlier night is not written again,
   so later corrections never change it. Re-running the night that froze it replaces that night's
   rows with the same values (delete+insert on computed_on; every input is read as of that
   night). full_refresh is disabled, as for int_gap_observations: a full refresh keeps the log. #}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='computed_on',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}
with

scored as (
    select * from {{ ref('int_street_quarters_scored') }}
),

due as (
    select
        scored.street_code,
        scored.quarter,
        scored.final_from,
        {{ scorecard_figures('scored') }},
        scored.rank,
        scored.grade,
        {{ as_of() }} as computed_on
    from scored
    where
        scored.final_from <= {{ as_of() }}
        {%- if is_incremental() %}
            and scored.quarter not in (
                select frozen.quarter
                from {{ this }} as frozen
                where frozen.computed_on < {{ as_of() }}
            )
        {%- endif %}
)

select * from due
