{# 街道年度考核: per street and year, the sum of the year's final quarters, ranked with shared
   places; the grade applies the quarterly bounds to the mean final quarter. The earliest quarter
   of the year not final yet is shown apart (provisional_quarter_score), not in the sum. #}
with

quarters as (
    select * from {{ ref('kpi_street_quarter') }}
),

years as (
    select
        quarters.street_code,
        extract(year from quarters.quarter)::integer as year,
        count(*) filter (where quarters.is_final) as quarters_final,
        coalesce(sum(quarters.score) filter (where quarters.is_final), 0) as score,
        min(quarters.quarter) filter (where not quarters.is_final) as provisional_quarter
    from quarters
    group by quarters.street_code, extract(year from quarters.quarter)
),

with_provisional as (
    select
        years.*,
        provisional.score as provisional_quarter_score
    from years
    left join quarters as provisional
        on
            years.street_code = provisional.street_code
            and years.provisional_quarter = provisional.quarter
),

final as (
    select
        with_provisional.street_code,
        with_provisional.year,
        with_provisional.quarters_final,
        with_provisional.score,
        rank() over (
            partition by with_provisional.year order by with_provisional.score desc
        ) as rank,
        case
            when with_provisional.quarters_final > 0
                then {{ scorecard_grade(
                    'with_provisional.score / with_provisional.quarters_final'
                ) }}
        end as grade,
        with_provisional.provisional_quarter,
        with_provisional.provisional_quarter_score
    from with_provisional
)

select * from final
