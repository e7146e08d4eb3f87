{# Rules missing_fai_report and missing_tax_record: the expected stats_fai / tax cells
   (int_reporting_grid_expected: under construction in month M, resp. every month after the
   actual 投产 month) that are due at as_of (day N of M+1, N from the vars) with no current row. #}
with

grid as (
    select * from {{ ref('int_reporting_grid_expected') }}
),

gaps as (
    select
        case grid.feed
            when 'stats_fai' then 'missing_fai_report'
            when 'tax' then 'missing_tax_record'
        end as rule_id,
        grid.subject_key,
        grid.project_code,
        grid.credit_code,
        null::text as parcel_no,
        grid.street_code,
        grid.feed,
        grid.period,
        case grid.feed
            when 'stats_fai' then '固定资产投资月报缺报：'
            when 'tax' then '税收入库记录缺失：'
        end || to_char(grid.period, 'YYYY-MM') || '，应报日期 ' || grid.due_on::text as detail
    from grid
    where
        grid.is_due
        and not grid.has_report
)

select * from gaps
