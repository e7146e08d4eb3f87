{# Latest state of every land parcel. is_idle (闲置土地, macro is_idle_land, as the idle_land
   rule): agreed start more than idle_land_years before as_of and no actual start by as_of. #}
with

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

final as (
    select
        parcels.parcel_no,
        parcels.project_code,
        parcels.credit_code,
        parcels.street_code,
        parcels.land_use,
        parcels.area_m2,
        round(parcels.area_m2 / {{ var('mu_m2') }}, 4) as area_mu,
        parcels.price,
        parcels.contract_signed_on,
        parcels.agreed_start,
        parcels.agreed_completion,
        parcels.actual_start,
        parcels.actual_completion,
        {{ is_idle_land('parcels.agreed_start', 'parcels.actual_start') }} as is_idle,
        projects.project_code is not null as project_in_registry,
        parcels.delivered_on as last_delivered_on
    from parcels
    left join projects on parcels.project_code = projects.project_code
)

select * from final
