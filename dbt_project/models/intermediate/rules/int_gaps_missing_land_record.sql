{# Rule missing_land_record: an industrial registry project whose 征地 node has an actual date more
   than grace_days before as_of, and no land parcel carries its project_code. #}
with

projects as (
    select * from {{ ref('int_projects_registered') }}
),

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

gaps as (
    select
        'missing_land_record' as rule_id,
        projects.project_code as subject_key,
        projects.project_code,
        projects.credit_code,
        null::text as parcel_no,
        projects.street_code,
        'land' as feed,
        null::date as period,
        '征地节点 ' || projects.land_acquired_on::text || ' 已完成，无土地供应记录' as detail
    from projects
    where
        projects.is_industrial
        and {{ as_of() }} - projects.land_acquired_on > {{ var('land_grace_days') }}
        and not exists (
            select 1 from parcels
            where parcels.project_code = projects.project_code
        )
)

select * from gaps
