{# Rule missing_feed: one gap per feed whose latest delivery window due on or before as_of has no
   loaded batch. Windows (vars feed_windows):
   - window_days N: the N calendar days ending with as_of (as_of - N + 1 .. as_of);
   - monthly_due_day D: the latest day D on or before as_of; the window runs from day 1 of that
     month, and a late delivery (after day D, up to as_of) closes the gap;
   - quarterly_due_day D: the same, for the month after each quarter (Jan, Apr, Jul, Oct).
   Duplicate and rejected files do not count as a delivery. #}
with

batches as (
    select * from {{ ref('stg_ledger__batches') }}
),

windows as (
    select
        feed_window.key as feed,
        (feed_window.value ->> 'window_days')::integer as window_days,
        coalesce(
            feed_window.value ->> 'monthly_due_day', feed_window.value ->> 'quarterly_due_day'
        )::integer as due_day,
        case
            when feed_window.value ? 'monthly_due_day'
                then date_trunc('month', {{ as_of() }})
            else date_trunc('quarter', {{ as_of() }})
        end::date as cycle_start,
        case
            when feed_window.value ? 'monthly_due_day' then interval '1 month'
            else interval '3 months'
        end as cycle_step
    from jsonb_each(
        '{{ var("feed_windows") | tojson }}'::jsonb
    ) as feed_window
),

bounds as (
    select
        windows.feed,
        case
            when windows.window_days is not null
                then {{ as_of() }} - windows.window_days + 1
            when windows.cycle_start + windows.due_day - 1 <= {{ as_of() }}
                then windows.cycle_start
            else (windows.cycle_start - windows.cycle_step)::date
        end as window_start,
        windows.window_days,
        windows.due_day
    from windows
),

judged as (
    select
        bounds.feed,
        bounds.window_start,
        case
            when bounds.window_days is not null then {{ as_of() }}
            else bounds.window_start + bounds.due_day - 1
        end as due_on,
        (
            select max(batches.delivered_on)
            from batches
            where
                batches.feed = bounds.feed
                and batches.status = 'loaded'
        ) as last_delivered_on,
        exists(
            select 1 from batches
            where
                batches.feed = bounds.feed
                and batches.status = 'loaded'
                and batches.delivered_on between bounds.window_start and {{ as_of() }}
        ) as delivered_in_window
    from bounds
),

gaps as (
    select
        'missing_feed' as rule_id,
        judged.feed as subject_key,
        null::text as project_code,
        null::text as credit_code,
        null::text as parcel_no,
        null::text as street_code,
        judged.feed,
        null::date as period,
        '数据未按期报送：应于 ' || judged.due_on::text || ' 前报送（窗口自 '
        || judged.window_start::text || '），最近一次报送 '
        || coalesce(judged.last_delivered_on::text, '无') as detail
    from judged
    where not judged.delivered_in_window
)

select * from gaps
