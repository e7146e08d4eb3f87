{# Type-2 history of the registry. A version starts on the delivery date of the snapshot that
   changed the project (valid_from) and ends on the next one (valid_to, exclusive; null = current).
   Several changes delivered the same day collapse into the last (by delivery order). Leave / retract versions keep
   the last known values with version_status 'left' / 'retracted'. in_registry: the project is in
   the latest registry snapshot known at as_of (the same on all its rows). #}
with

snapshots as (
    select * from {{ ref('stg_registry__snapshots') }}
),

last_of_day as (
    select distinct on (snapshots.project_code, snapshots.delivered_on) snapshots.*
    from snapshots
    order by snapshots.project_code asc, snapshots.delivered_on asc, snapshots.delivery_rank desc
),

-- Leave / retract events carry no values: they take those of the last upsert before them.
grouped as (
    select
        last_of_day.*,
        count(*) filter (where last_of_day.op = 'upsert') over (
            partition by last_of_day.project_code order by last_of_day.delivered_on
        ) as value_group
    from last_of_day
),

with_values as (
    select
        grouped.project_code,
        grouped.op,
        grouped.delivered_on,
        grouped.event_id,
        known.project_name,
        known.credit_code,
        known.street_code,
        known.industry,
        known.project_kind,
        known.carrier,
        known.planned_investment,
        known.planned_start,
        known.planned_completion,
        known.planned_production,
        known.registered_on,
        known.committed_tax_per_mu
    from grouped
    left join grouped as known
        on
            grouped.project_code = known.project_code
            and grouped.value_group = known.value_group
            and known.op = 'upsert'
),

hashed as (
    select
        with_values.*,
        md5(concat_ws(
            '|', with_values.op, with_values.project_name, with_values.credit_code,
            with_values.street_code, with_values.industry, with_values.project_kind,
            with_values.carrier, trim_scale(with_values.planned_investment),
            with_values.planned_start, with_values.planned_completion,
            with_values.planned_production, with_values.registered_on,
            trim_scale(with_values.committed_tax_per_mu)
        )) as version_hash
    from with_values
),

compared as (
    select
        hashed.*,
        coalesce(
            hashed.version_hash != lag(hashed.version_hash) over (
                partition by hashed.project_code order by hashed.delivered_on
            ),
            true
        ) as is_change
    from hashed
),

-- An event whose values equal the previous version's (e.g. 49200 re-sent as 49200.00, or
-- nulls written differently) is not a new version.
versions as (
    select
        compared.*,
        lead(compared.delivered_on) over (
            partition by compared.project_code order by compared.delivered_on
        ) as valid_to
    from compared
    where compared.is_change
),

final as (
    select
        md5(versions.project_code || '|' || versions.delivered_on::text) as project_version_id,
        versions.project_code,
        versions.project_name,
        versions.credit_code,
        versions.street_code,
        versions.industry,
        versions.project_kind,
        versions.carrier,
        versions.planned_investment,
        versions.planned_start,
        versions.planned_completion,
        versions.planned_production,
        versions.registered_on,
        versions.committed_tax_per_mu,
        case versions.op
            when 'upsert' then 'in_registry'
            when 'leave' then 'left'
            else 'retracted'
        end as version_status,
        bool_or(versions.valid_to is null and versions.op = 'upsert') over (
            partition by versions.project_code
        ) as in_registry,
        versions.delivered_on as valid_from,
        versions.valid_to,
        versions.valid_to is null as is_current,
        versions.event_id
    from versions
)

select * from final
