{# Pre-hook of the incremental fct_project_month: before new rows are appended, delete the rows of
   every project touched by an event the table has not seen yet (delivered after its latest
   delivery date, or loaded in a later batch), so those projects are rebuilt whole. Re-running an
   earlier night (the table knows deliveries after as_of) empties the table: a full rebuild.
   Watermarks are read from the rows themselves, so a full refresh builds the same table. #}
{% macro project_month_prune() %}
    {% if is_incremental() %}
        {% set past_watermarks -%}
            array(
                select batches.batch_id
                from {{ source('ledger', 'batch') }} as batches
                cross join watermark
                where
                    batches.delivered_on > watermark.wm_delivered
                    or batches.batch_id > watermark.wm_batch
            )
        {%- endset %}
        delete from {{ this }}
        where (select max(last_delivered_on) from {{ this }}) > {{ as_of() }};

        with

        watermark as (
            select
                coalesce(max(last_delivered_on), date '1900-01-01') as wm_delivered,
                coalesce(max(last_batch_id), 0) as wm_batch
            from {{ this }}
        ),

        changed as (
            select distinct
                events.feed,
                events.key_head
            from {{ ref('stg_ledger__events') }} as events
            where
                events.feed in ('registry', 'stats_fai', 'stats_enterprise', 'tax')
                -- the batches past the watermarks
                and {{ in_batches('events.batch_id', past_watermarks) }}
        )

        delete from {{ this }} as target
        where
            target.project_code in (
                select changed.key_head from changed
                where changed.feed in ('registry', 'stats_fai')
            )
            or target.credit_code in (
                select changed.key_head from changed
                where changed.feed in ('stats_enterprise', 'tax')
            );
    {% endif %}
{% endmacro %}
