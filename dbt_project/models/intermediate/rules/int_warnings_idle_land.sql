{# Rule idle_land (闲置土地处置办法): a parcel whose agreed_start is more than idle_land_days before
   as_of with no actual_start on or before as_of. Always red; routed to the land feed's owner.
   delay_days counts from the day it became idle (agreed_start + idle_land_days); the days since
   agreed_start are in the detail. #}
with

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

graded as (
    select
        'idle_land' as rule_id,
        parcels.project_code,
        parcels.parcel_no,
        null::text as node,
        parcels.street_code,
        {{ as_of() }} - parcels.agreed_start - {{ var('idle_land_days') }} as delay_days,
        null::numeric as measure,
        'red' as grade,
        '宗地 ' || parcels.parcel_no || ' 约定开工 ' || parcels.agreed_start::text
        || '，约定开工后' || ({{ as_of() }} - parcels.agreed_start)::text || '天未开工' as detail
    from parcels
    where
        {{ as_of() }} - parcels.agreed_start > {{ var('idle_land_days') }}
        and (parcels.actual_start is null or parcels.actual_start > {{ as_of() }})
)

select * from graded
