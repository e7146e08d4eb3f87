{# Registry project <-> enterprise (credit_code) <-> land parcels. One row per project and
   linked parcel (parcel_no null when it has none). A parcel carrying the project's code is
   linked by project_code; a parcel with a blank project code is linked to the registry
   projects of its assignee (credit_code). Land area indicators count only project_code links. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

by_project_code as (
    select
        projects.project_code,
        parcels.parcel_no,
        'project_code' as link_via
    from projects
    inner join parcels on projects.project_code = parcels.project_code
),

by_credit_code as (
    select
        projects.project_code,
        parcels.parcel_no,
        'credit_code' as link_via
    from projects
    inner join parcels
        on
            projects.credit_code = parcels.credit_code
            and parcels.project_code is null
),

links as (
    select * from by_project_code
    union all
    select * from by_credit_code
),

joined as (
    select
        projects.project_code,
        projects.credit_code,
        links.parcel_no,
        links.link_via,
        parcels.credit_code as parcel_credit_code,
        parcels.street_code as parcel_street_code,
        parcels.land_use,
        parcels.area_m2,
        round(parcels.area_m2 / {{ var('mu_m2') }}, 4) as area_mu,
        parcels.contract_signed_on,
        parcels.agreed_start,
        parcels.actual_start
    from projects
    left join links on projects.project_code = links.project_code
    left join parcels on links.parcel_no = parcels.parcel_no
)

select * from joined
