{# Registry projects as of as_of (in the latest snapshot), with their street, kind flags and the
   actual dates of the nodes the rules key on (from the latest milestone reports). #}
with

projects as (
    select * from {{ ref('stg_registry__projects') }}
),

streets as (
    select * from {{ ref('streets') }}
),

milestones as (
    select * from {{ ref('stg_milestones__milestones') }}
),

node_dates as (
    select
        milestones.project_code,
        max(milestones.actual_date) filter (
            where milestones.node = '{{ var("node_land") }}'
        ) as land_acquired_on,
        max(milestones.actual_date) filter (
            where milestones.node = '{{ var("node_start") }}'
        ) as actual_start_on,
        max(milestones.actual_date) filter (
            where milestones.node = '{{ var("node_completion") }}'
        ) as actual_completion_on,
        max(milestones.actual_date) filter (
            where milestones.node = '{{ var("node_production") }}'
        ) as actual_production_on,
        max(milestones.reported_on) as last_reported_on
    from milestones
    group by milestones.project_code
),

joined as (
    select
        projects.project_code,
        projects.project_name,
        projects.credit_code,
        projects.street_code,
        streets.street_name,
        projects.industry,
        projects.project_kind,
        coalesce(projects.project_kind = '{{ var("kind_industrial") }}', false) as is_industrial,
        projects.carrier,
        projects.planned_investment,
        projects.planned_start,
        projects.planned_completion,
        projects.planned_production,
        projects.registered_on,
        projects.committed_tax_per_mu,
        node_dates.land_acquired_on,
        node_dates.actual_start_on,
        node_dates.actual_completion_on,
        node_dates.actual_production_on,
        node_dates.last_reported_on,
        projects.delivered_on as version_delivered_on,
        projects.event_id
    from projects
    left join streets on projects.street_code = streets.street_code
    left join node_dates on projects.project_code = node_dates.project_code
)

select * from joined
