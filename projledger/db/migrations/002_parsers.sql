-- Parsers and identifier checks used to validate a whole batch in one set-based statement.
-- Each returns null for what it cannot read, never raises: a bad value quarantines its row,
-- it must not abort the file. All are plain SQL so the planner can inline them.

create function ledger.make_date_or_null(y integer, m integer, d integer) returns date
language sql immutable parallel safe as $$
    select case
        when y between 1900 and 2199 and m between 1 and 12 and d between 1 and 28
            then make_date(y, m, d)
        when y between 1900 and 2199 and m between 1 and 12 and d between 29 and 31
            then case
                when d <= extract(day from make_date(y, m, 1) + interval '1 month - 1 day')
                    then make_date(y, m, d)
            end
    end
$$;

create function ledger.ymd_or_null(parts text[]) returns date
language sql immutable parallel safe as $$
    select ledger.make_date_or_null(parts[1]::integer, parts[2]::integer, parts[3]::integer)
$$;

-- 2026-03-15, 2026/3/15, 2026.3.15, 2026年3月15日, 20260315, an Excel serial (46096),
-- or an ISO timestamp (from spreadsheet cells).
create function ledger.parse_date(t text) returns date
language sql immutable parallel safe as $$
    select case
        when t is null or btrim(t) = '' then null
        when btrim(t) ~ '^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?( \d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$'
            then ledger.ymd_or_null(regexp_match(btrim(t), '^(\d{4})\D(\d{1,2})\D(\d{1,2})'))
        when btrim(t) ~ '^\d{4}-\d{2}-\d{2}T'
            then ledger.ymd_or_null(regexp_match(btrim(t), '^(\d{4})-(\d{2})-(\d{2})'))
        when btrim(t) ~ '^\d{8}$'
            then ledger.ymd_or_null(regexp_match(btrim(t), '^(\d{4})(\d{2})(\d{2})$'))
        when btrim(t) ~ '^\d{5}(\.0+)?$' and split_part(btrim(t), '.', 1)::integer >= 1
            then date '1899-12-30' + split_part(btrim(t), '.', 1)::integer
    end
$$;

-- 2026-03, 202603, 2026年3月, 2026/3 or a full date; always the first day of the month.
create function ledger.parse_period(t text) returns date
language sql immutable parallel safe as $$
    select case
        when t is null or btrim(t) = '' then null
        when btrim(t) ~ '^\d{4}[-/.年]\d{1,2}月?$'
            then ledger.ymd_or_null(
                array[(regexp_match(btrim(t), '^(\d{4})\D(\d{1,2})'))[1],
                      (regexp_match(btrim(t), '^(\d{4})\D(\d{1,2})'))[2], '1'])
        when btrim(t) ~ '^\d{6}$'
            then ledger.ymd_or_null(array[substr(btrim(t), 1, 4), substr(btrim(t), 5, 2), '1'])
        else date_trunc('month', ledger.parse_date(t))::date
    end
$$;

-- 1234.5, 1,234.50, -12, +3 (thousands separators only in groups of three). Trailing zeros
-- are dropped so that 23500.00 and 23500 are the same value (and the same event hash).
create function ledger.parse_number(t text) returns numeric
language sql immutable parallel safe as $$
    select case
        when t is null or btrim(t) = '' then null
        when btrim(t) ~ '^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$'
            then trim_scale(replace(btrim(t), ',', '')::numeric)
        when btrim(t) ~ '^[+-]?\.\d+$' then trim_scale(btrim(t)::numeric)
    end
$$;

-- GB 32100-2015 check character: c = 31 - (sum of value * weight mod 31); 31 maps to 0.
create function ledger.credit_code_ok(c text) returns boolean
language sql immutable parallel safe as $$
    select c ~ '^[0-9ABCDEFGHJKLMNPQRTUWXY]{18}$'
        and substr(c, 18, 1) = substr(
            '0123456789ABCDEFGHJKLMNPQRTUWXY',
            (31 - (
                (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 1, 1)) - 1) * 1
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 2, 1)) - 1) * 3
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 3, 1)) - 1) * 9
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 4, 1)) - 1) * 27
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 5, 1)) - 1) * 19
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 6, 1)) - 1) * 26
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 7, 1)) - 1) * 16
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 8, 1)) - 1) * 17
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 9, 1)) - 1) * 20
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 10, 1)) - 1) * 29
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 11, 1)) - 1) * 25
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 12, 1)) - 1) * 13
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 13, 1)) - 1) * 8
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 14, 1)) - 1) * 24
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 15, 1)) - 1) * 10
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 16, 1)) - 1) * 30
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, 17, 1)) - 1) * 28
            ) % 31) % 31 + 1,
            1)
$$;

create function ledger.project_code_ok(c text) returns boolean
language sql immutable parallel safe as $$
    select c ~ '^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$'
$$;
