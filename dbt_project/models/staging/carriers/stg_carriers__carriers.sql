{# Current version of each carriers key (carrier_name, period) as known at as_of (retracted keys
   dropped). Aliases arrive as the delivered text: a text[] of trimmed, non-blank names, split
   on ';' and '；'. #}
with

source as (
    {{ latest_events('carriers') }}
),

renamed as (
    select
        (source.fact).carrier_name as carrier_name,
        array(
            select btrim(split_names.alias_name)
            from
                regexp_split_to_table((source.fact).aliases, '[;；]')
                    as split_names (alias_name)
            where btrim(split_names.alias_name) <> ''
        ) as aliases,
        (source.fact).carrier_kind as carrier_kind,
        (source.fact).street_code as street_code,
        (source.fact).build_status as build_status,
        (source.fact).total_area_m2 as total_area_m2,
        (source.fact).usable_area_m2 as usable_area_m2,
        (source.fact).occupied_area_m2 as occupied_area_m2,
        (source.fact).investment_completed as investment_completed,
        (source.fact).brand_level as brand_level,
        (source.fact).period as period,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
    where source.op = 'upsert'
)

select * from renamed
