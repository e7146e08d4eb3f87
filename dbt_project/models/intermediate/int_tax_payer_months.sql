{{ config(
    materialized='incremental',
    unique_key=['credit_code', 'period'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[
        {'columns': ['credit_code', 'period']},
        {'columns': ['built_as_of', 'built_through_batch']},
    ],
    pre_hook="{% if is_incremental() %}{{ forget_if_replayed() }}{% endif %}",
    post_hook=[
        "{{ delete_from_last_read(this, 'merged.payments = 0') }}",
    ],
) }}
{# Tax per enterprise, month and carrier (folded name), summed from the current tax records:
   what the carrier rule and the carrier KPIs read, instead of every tax row. A night recomputes
   only the (enterprise, month) pairs the tax staging table merged since this table's last read:
   the pairs of the rows it wrote, and those of the retractions it read (which it drops). A pair
   left without tax is merged as a row of no payments, then dropped (post-hook). A build for an
   earlier as_of than the last one, or --full-refresh, sums it whole. #}
with

-- What this read is recorded as having read through: the last read of the staging table that
-- left a row there (0 when it holds no tax). It may lag behind the batches merged (a read that
-- merged only retractions leaves no row), never run ahead of them: the next night then reads
-- those batches' retractions again, which recomputes the same pairs.
staged as (
    select coalesce(max(kept.built_through_batch), 0) as built_through_batch
    from ({{ last_read(ref('stg_tax__payments')) }}) as kept
),

{# This table's last read as literals: the planner then sizes the rows written since from the
    staging table's statistics and searches them by index (a value known only at run time is
    taken for a third of the table, and read by a scan of it). With none (a new table, or a
    replay the pre-hook emptied it for), the pairs are summed whole. #}
{% set since = last_read_literals(this) if is_incremental() else {'batch': 0} %}
{% if since.batch > 0 %}
    {% set arrived -%}
        array(select ledger.batches_since('tax', {{ as_of() }}, {{ since.as_of }}, {{ since.batch }}))
    {%- endset %}
    -- the keys the staging table dropped since: their pairs (an older retraction stored
    -- without its enterprise stands for every pair of its month)
    retracted as (
        select
            voided.credit_code,
            voided.period
        from ledger.event as voided
        where
            voided.feed = 'tax'
            and voided.op = 'retract'
            and {{ in_batches('voided.batch_id', arrived) }}
    ),

    touched as (
        select
            written.credit_code,
            written.period
        from {{ ref('stg_tax__payments') }} as written
        where
            (written.built_as_of, written.built_through_batch)
            > ({{ since.as_of }}, {{ since.batch }})
        union
        select
            retracted.credit_code,
            retracted.period
        from retracted
        where retracted.credit_code is not null
        union
        select
            kept.credit_code,
            kept.period
        from {{ this }} as kept
        inner join retracted
            on retracted.credit_code is null and kept.period = retracted.period
        union
        -- no tax left at all
        select
            kept.credit_code,
            kept.period
        from {{ this }} as kept
        where not exists (select 1 from {{ ref('stg_tax__payments') }})
    ),

    -- each pair's rows by the staging table's index (a nested loop, however many pairs the
    -- planner guesses the union gives)
    summed as (
        select
            touched.credit_code,
            touched.period,
            pair.carrier_folded,
            pair.carrier,
            coalesce(pair.amount_yuan, 0) as amount_yuan,
            coalesce(pair.payments, 0) as payments
        from touched
        left join lateral (
            select
                payments.carrier_folded,
                min(payments.carrier) as carrier,
                sum(payments.amount_yuan) as amount_yuan,
                count(*) as payments
            from {{ ref('stg_tax__payments') }} as payments
            where
                payments.credit_code = touched.credit_code
                and payments.period = touched.period
            group by payments.carrier_folded
        ) as pair on true
    ),

{% else %}
    payments as (
        select * from {{ ref('stg_tax__payments') }}
    ),

    summed as (
        select
            payments.credit_code,
            payments.period,
            payments.carrier_folded,
            min(payments.carrier) as carrier,
            sum(payments.amount_yuan) as amount_yuan,
            count(*) as payments
        from payments
        group by payments.credit_code, payments.period, payments.carrier_folded
    ),
{% endif %}

final as (
    select
        summed.*,
        {{ as_of() }} as built_as_of,
        staged.built_through_batch
    from summed
    cross join staged
)

select * from final
