with

streets as (
    select * from {{ ref('streets') }}
),

final as (
    select
        streets.street_code,
        streets.street_name,
        streets.email
    from streets
)

select * from final
