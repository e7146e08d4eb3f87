{# Every name a carrier goes by in each quarter's carriers list: its carrier_name and each alias,
   folded (trimmed, full-width characters folded: macros/promotion_loop.sql fold_name). The
   registry's and tax's carrier names are matched on folded_name. is_latest marks the latest
   quarter known at as_of (the latest carriers delivery). #}
with

carriers as (
    select * from {{ ref('stg_carriers__carriers') }}
),

names as (
    select
        carriers.carrier_name,
        carriers.period,
        carriers.carrier_name as carrier_alias
    from carriers
    union all
    select
        carriers.carrier_name,
        carriers.period,
        split_names.alias_name
    from carriers
    cross join lateral unnest(carriers.aliases) as split_names (alias_name)
),

folded as (
    select distinct
        names.carrier_name,
        names.period,
        {{ fold_name('names.carrier_alias') }} as folded_name,
        names.period = max(names.period) over () as is_latest
    from names
),

named as (
    select * from folded
    where folded_name is not null
)

select * from named
