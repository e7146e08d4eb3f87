{# The owner_routing seed resolved: per rule_id, how its owner is found (route) and, when a
   department is named, that department. project_office (the seed's `unrouted` row, 项目办) takes
   what a feed no department owns cannot route to a street. The route_owner macro applies it. #}
with

routing as (
    select * from {{ ref('owner_routing') }}
),

project_office as (
    select routing.owner as dept_code
    from routing
    where routing.rule_id = 'unrouted'
),

routes as (
    select
        routing.rule_id,
        case
            when routing.owner in ('street', 'feed_owner', 'sourcing_unit') then routing.owner
            else 'department'
        end as route,
        case
            when routing.owner not in ('street', 'feed_owner', 'sourcing_unit')
                then routing.owner
        end as dept_code,
        project_office.dept_code as project_office
    from routing
    left join project_office on true
)

select * from routes
