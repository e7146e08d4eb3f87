{# District carrier totals per quarter of the carriers feed: count and area by build status, and
   the available area as the seed document counts it: usable area of built carriers + total area
   of carriers under construction and planned. #}
with

carriers as (
    select * from {{ ref('stg_carriers__carriers') }}
),

totals as (
    select
        carriers.period,
        count(*) filter (where carriers.build_status = '{{ var("carrier_built") }}')
            as built_count,
        coalesce(sum(carriers.total_area_m2) filter (
            where carriers.build_status = '{{ var("carrier_built") }}'
        ), 0) as built_area_m2,
        coalesce(sum(carriers.usable_area_m2) filter (
            where carriers.build_status = '{{ var("carrier_built") }}'
        ), 0) as built_usable_m2,
        count(*) filter (where carriers.build_status = '{{ var("carrier_building") }}')
            as building_count,
        coalesce(sum(carriers.total_area_m2) filter (
            where carriers.build_status = '{{ var("carrier_building") }}'
        ), 0) as building_area_m2,
        count(*) filter (where carriers.build_status = '{{ var("carrier_planned") }}')
            as planned_count,
        coalesce(sum(carriers.total_area_m2) filter (
            where carriers.build_status = '{{ var("carrier_planned") }}'
        ), 0) as planned_area_m2
    from carriers
    group by carriers.period
),

final as (
    select
        totals.period,
        totals.built_count,
        totals.built_area_m2,
        totals.built_usable_m2,
        totals.building_count,
        totals.building_area_m2,
        totals.planned_count,
        totals.planned_area_m2,
        totals.built_usable_m2 + totals.building_area_m2 + totals.planned_area_m2
            as available_area_m2,
        {{ as_of() }} as as_of
    from totals
)

select * from final
