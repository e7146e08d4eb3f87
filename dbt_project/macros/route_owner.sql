{# Routes each row of the CTE `rows` to its owner (a dept_code or a street_code) per the
   owner_routing seed, resolved in int_owner_routes: selects every column of `rows` plus
   owner_dept. rule_id: SQL naming the row's rule (default its rule_id column); street_code,
   feed, sourcing_unit: columns of `rows` (feed / sourcing_unit none when the rows have none).
   A feed no department owns (milestones, sent by the streets) routes to the row's street, else
   to the project office. A rule missing from the seed gets no owner (a test catches it). #}
{% macro route_owner(
    rows, rule_id=none, street_code='street_code', feed='feed', sourcing_unit=none
) -%}
    {%- set rule_sql = rule_id if rule_id is not none else rows ~ '.rule_id' -%}
    {%- set feed_owner = 'feed_owners.dept_code' if feed is not none else 'null::text' -%}
    select
        {{ rows }}.*,
        case owner_routes.route
            when 'department' then owner_routes.dept_code
            when 'street' then {{ rows }}.{{ street_code }}
            when 'sourcing_unit' then
                {{ rows ~ '.' ~ sourcing_unit if sourcing_unit is not none else 'null::text' }}
            when 'feed_owner'
                then
                    coalesce(
                        {{ feed_owner }}, {{ rows }}.{{ street_code }}, owner_routes.project_office
                    )
        end as owner_dept
    from {{ rows }}
    left join {{ ref('int_owner_routes') }} as owner_routes
        on {{ rule_sql }} = owner_routes.rule_id
    {%- if feed is not none %}
    left join {{ ref('int_feeds_owned') }} as feed_owners
        on {{ rows }}.{{ feed }} = feed_owners.feed
    {%- endif %}
{%- endmacro %}
