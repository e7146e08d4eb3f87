{# Rule idle_land (闲置土地处置办法): a parcel whose agreed_start is more than idle_land_years
   before as_of with no actual_start on or before as_of (macro is_idle_land, as
   fct_land_parcel.is_idle). Always red. delay_days counts from the day it became idle
   (idle_land_since: agreed_start + idle_land_years); the days since agreed_start are in the
   detail. #}
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
        {{ as_of() }} - {{ idle_land_since('parcels.agreed_start') }} as delay_days,
        null::numeric as measure,
        'red' as grade,
        '宗地 ' || parcels.parcel_no || ' 约定开工 ' || parcels.agreed_start::text
        || '，约定开工后' || ({{ as_of() }} - parcels.agreed_start)::text || '天未开工' as detail
    from parcels
    where {{ is_idle_land('parcels.agreed_start', 'parcels.actual_start') }}
)

select * from graded
