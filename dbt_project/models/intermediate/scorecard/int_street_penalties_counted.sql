{# The scorecard's penalty counts per street as of the run (红黄牌追责): its registry projects whose
   card is red or yellow, and the open coverage gaps the street owns. #}
with

streets as (
    select * from {{ ref('streets') }}
),

indicators as (
    select * from {{ ref('kpi_project') }}
),

gaps as (
    select * from {{ ref('fct_coverage_gap') }}
),

cards as (
    select
        indicators.street_code,
        count(*) filter (where indicators.card = 'red') as red_cards,
        count(*) filter (where indicators.card = 'yellow') as yellow_cards
    from indicators
    group by indicators.street_code
),

open_gaps as (
    select
        gaps.owner_dept as street_code,
        count(*) as open_gaps
    from gaps
    where gaps.status = 'open'
    group by gaps.owner_dept
),

final as (
    select
        streets.street_code,
        coalesce(cards.red_cards, 0) as red_cards,
        coalesce(cards.yellow_cards, 0) as yellow_cards,
        coalesce(open_gaps.open_gaps, 0) as open_gaps
    from streets
    left join cards on streets.street_code = cards.street_code
    left join open_gaps on streets.street_code = open_gaps.street_code
)

select * from final
