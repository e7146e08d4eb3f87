{# Current version of each carriers key (carrier_name, period) as known at as_of (retracted keys
   dropped). Aliases arrive split by ingest (a JSON array) or as the delivered text: both give a
   text[] of trimmed, non-blank names, the text split on ';' and '；'. #}
with

source as (
    {{ latest_events('carriers') }}
),

renamed as (
    select
        source.data ->> 'carrier_name' as carrier_name,
        case jsonb_typeof(source.data -> 'aliases')
            when 'array'
                then array(
                    select btrim(split_names.alias_name)
                    from
                        jsonb_array_elements_text(source.data -> 'aliases')
                            as split_names (alias_name)
                    where btrim(split_names.alias_name) <> ''
                )
            when 'string'
                then array(
                    select btrim(split_names.alias_name)
                    from
                        regexp_split_to_table(source.data ->> 'aliases', '[;；]')
                            as split_names (alias_name)
                    where btrim(split_names.alias_name) <> ''
                )
            else array[]::text[]
        end as aliases,
        source.data ->> 'carrier_kind' as carrier_kind,
        source.data ->> 'street_code' as street_code,
        source.data ->> 'build_status' as build_status,
        (source.data ->> 'total_area_m2')::numeric as total_area_m2,
        (source.data ->> 'usable_area_m2')::numeric as usable_area_m2,
        (source.data ->> 'occupied_area_m2')::numeric as occupied_area_m2,
        (source.data ->> 'investment_completed')::numeric as investment_completed,
        source.data ->> 'brand_level' as brand_level,
        (source.data ->> 'period')::date as period,
        source.natural_key,
        source.event_id,
        source.batch_id,
        source.delivered_on
    from source
    where source.op = 'upsert'
)

select * from renamed
