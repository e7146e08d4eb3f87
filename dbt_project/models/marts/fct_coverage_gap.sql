{# Coverage gaps with their lifecycle, derived from the nightly log int_gap_observations (nights
   with as_of <= this run's as_of). Islands over the sequence of run nights: an episode starts the
   first night a gap is found (detected_on) and resolves the first later run night it is not found
   (resolved_on). The id is stable for the whole episode, and a night re-run gives the same
   history because each night's observations depend only on that night's as_of. #}
with

observations as (
    select * from {{ ref('int_gap_observations') }}
    where as_of <= {{ as_of() }}
),

runs as (
    select
        observations.as_of as run_on,
        row_number() over (order by observations.as_of) as run_seq
    from observations
    group by observations.as_of
),

found as (
    select
        observations.*,
        runs.run_seq,
        runs.run_seq - row_number() over (
            partition by observations.rule_id, observations.subject_key, observations.period
            order by runs.run_seq
        ) as island
    from observations
    inner join runs on observations.as_of = runs.run_on
    where observations.rule_id <> '_run'
),

episodes as (
    select
        found.rule_id,
        found.subject_key,
        found.period,
        found.island,
        min(found.as_of) as detected_on,
        max(found.as_of) as last_seen_on,
        max(found.run_seq) as last_seen_seq
    from found
    group by found.rule_id, found.subject_key, found.period, found.island
),

latest_attributes as (
    select distinct on (found.rule_id, found.subject_key, found.period, found.island)
        found.rule_id,
        found.subject_key,
        found.period,
        found.island,
        found.owner_dept,
        found.street_code,
        found.project_code,
        found.credit_code,
        found.parcel_no,
        found.feed,
        found.detail
    from found
    order by
        found.rule_id asc,
        found.subject_key asc,
        found.period asc,
        found.island asc,
        found.as_of desc
),

lifecycle as (
    select
        episodes.rule_id,
        episodes.subject_key,
        episodes.period,
        episodes.detected_on,
        episodes.last_seen_on,
        next_run.run_on as resolved_on,
        latest_attributes.owner_dept,
        latest_attributes.street_code,
        latest_attributes.project_code,
        latest_attributes.credit_code,
        latest_attributes.parcel_no,
        latest_attributes.feed,
        latest_attributes.detail
    from episodes
    inner join latest_attributes
        on
            episodes.rule_id = latest_attributes.rule_id
            and episodes.subject_key = latest_attributes.subject_key
            and episodes.period is not distinct from latest_attributes.period
            and episodes.island = latest_attributes.island
    left join runs as next_run on episodes.last_seen_seq + 1 = next_run.run_seq
),

final as (
    select
        md5(
            lifecycle.rule_id || '|' || lifecycle.subject_key || '|'
            || coalesce(lifecycle.period::text, '') || '|' || lifecycle.detected_on::text
        ) as gap_id,
        lifecycle.rule_id,
        lifecycle.owner_dept,
        lifecycle.street_code,
        lifecycle.project_code,
        lifecycle.credit_code,
        lifecycle.parcel_no,
        lifecycle.feed,
        lifecycle.period,
        lifecycle.detected_on,
        case when lifecycle.resolved_on is null then 'open' else 'resolved' end as status,
        lifecycle.resolved_on,
        coalesce(lifecycle.resolved_on, {{ as_of() }}) - lifecycle.detected_on as days_open,
        lifecycle.subject_key,
        lifecycle.last_seen_on,
        lifecycle.detail,
        {{ as_of() }} as as_of
    from lifecycle
)

select * from final
