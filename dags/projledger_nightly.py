"""The nightly run of Project Ledger as an Airflow DAG (wiring only: the work is in `ingest`).

Reads nothing but environment variables when parsed: the manifest path is checked for existence
(a local file stat), never compiled here.
"""

from __future__ import annotations

import logging

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task
from pendulum import datetime
from projledger_common import (
    DB_POOL,
    DBT_MANIFEST,
    DBT_MODE,
    DBT_PROJECT_DIR,
    DEFAULT_ARGS,
    TIMEZONE,
    as_of,
    dbt_interceptor,
    inbox,
)

from ingest.feeds.contracts import FEED_NAMES

log = logging.getLogger(__name__)

# One Asset per feed: "the event store has taken this night's delivery of <feed>". Each event
# carries the night's as_of and the batch counts in its extra.
FEED_ASSETS = {
    feed: Asset(
        name=f"ledger_{feed}", uri=f"projledger://ledger/event/{feed}", group="projledger_feeds"
    )
    for feed in FEED_NAMES
}
# The published warehouse (schema marts) after a night's build, checks and digests.
MARTS_ASSET = Asset(name="marts", uri="projledger://warehouse/marts", group="projledger")


@task(pool=DB_POOL)
def ingest(feed: str, **context) -> dict:
    """Load the feed's new files. No delivery is not a failure: the result says so and the
    missing_feed rule turns an overdue one into an alert for the owning department."""
    from projledger.night import ingest_feed
    from projledger.settings import load_settings

    night = as_of(context)
    result = ingest_feed(load_settings(), inbox(), feed, night)
    context["outlet_events"][FEED_ASSETS[feed]].extra = result
    log.info("ingest %s for %s: %s", feed, night, result)
    return result


@task(pool=DB_POOL)
def build_warehouse(**context) -> None:
    """dbt build of the `nightly` selector for as_of, as `projledger run` does (used when there
    is no compiled manifest, or PROJLEDGER_AIRFLOW_DBT=task)."""
    from projledger.night import build_warehouse as build
    from projledger.settings import load_settings

    build(load_settings(), as_of(context))


@task(pool=DB_POOL)
def work_calendar(**context) -> None:
    """The working-day calendar dbt reads as a source (dbt-postgres runs no Python), written
    before the Cosmos dbt tasks; `projledger run` writes it in projledger.dbt_runner."""
    from projledger.calendar import ensure_calendar
    from projledger.settings import load_settings

    ensure_calendar(load_settings(), as_of(context))


@task(pool=DB_POOL)
def grant_access(**context) -> None:
    """dbt recreated the marts tables: the read-only role's grants and policies again."""
    from projledger.night import grant_access as grant
    from projledger.settings import load_settings

    grant(load_settings())


@task(pool=DB_POOL)
def run_checks(**context) -> int:
    """Great Expectations checks; a failed expectation is a finding for the digests, not a
    failed task. Returns the number of failed checks."""
    from projledger.night import run_checks as checks
    from projledger.settings import load_settings

    results = checks(load_settings(), as_of(context)) or []
    failed = [r for r in results if not getattr(r, "success", True)]
    log.info("%d checks, %d failed", len(results), len(failed))
    return len(failed)


@task(pool=DB_POOL, outlets=[MARTS_ASSET])
def send_alerts(**context) -> list[str]:
    """One digest per department and street with anything new, a reminder or a resolution."""
    from projledger.night import send_alerts as alerts
    from projledger.settings import load_settings

    return [str(line) for line in alerts(load_settings(), as_of(context)) or []]


@task(pool=DB_POOL)
def issue_bulletin(**context) -> str | None:
    """The monthly bulletin of the month before, on the first night on or after its issue day."""
    from projledger.settings import load_settings
    from reports.bulletin import issue_due

    issued = issue_due(load_settings(), as_of(context))
    return None if issued is None else str(issued.pdf_path)


@task
def summary(**context) -> str:
    """The night's summary (as printed by `projledger run`), kept as the run's XCom."""
    from projledger.night import summary as night_summary
    from projledger.settings import load_settings

    text = night_summary(load_settings(), as_of(context))
    log.info("%s", text)
    return text


def warehouse():
    """The dbt part: one task per dbt node through Cosmos when a compiled manifest exists (each
    model built with its tests, TestBehavior.BUILD), else one task running the whole build.
    Returns its first and last tasks."""
    if DBT_MODE != "cosmos" or not DBT_MANIFEST.exists():
        built = build_warehouse()
        return built, built

    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        LoadMode,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
        TestBehavior,
    )
    from cosmos.constants import ExecutionMode, InvocationMode

    group = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=DBT_MANIFEST,
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="projledger",
            target_name="default",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            # The feed and marts Assets above are the published lineage; per-table Assets would
            # carry the embedded server's changing port in their URIs.
            emit_datasets=False,
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        operator_args={
            "install_deps": False,
            "interceptors": [dbt_interceptor],
            "pool": DB_POOL,
        },
    )
    calendar = work_calendar()
    granted = grant_access()
    calendar >> group >> granted
    return calendar, granted


@dag(
    dag_id="projledger_nightly",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=TIMEZONE),
    start_date=datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["projledger", "nightly", "ingest", "dbt", "alerts"],
    doc_md=__doc__,
)
def projledger_nightly():
    """
    ### Project Ledger: one night

    **Business date.** The logical date of a run is the business date `as_of` it closes: the run
    for D has the data interval D 02:00 to D+1 02:00 (Asia/Shanghai) and starts at D+1 02:00,
    once the night's deliveries are in the drop folder. A manual run may pass
    `{"as_of": "YYYY-MM-DD"}` as conf.

    **Steps.** `ingest_<feed>` loads each feed's new files into the event store (a missing
    delivery is a finding for the alerts, not a failure) and publishes the feed's Asset; the dbt
    build (`dbt`, one task per model with its tests, through Cosmos) runs once every feed is in;
    then the Great Expectations checks, the department digests (publishing the `marts` Asset)
    and the summary. The same functions as `projledger run`.

    **Reruns and backfills** change nothing that is already right: ingest skips files it has
    loaded (per-feed advisory locks in PostgreSQL), dbt rebuilds as of the run's date, and a
    digest is sent once per night and owner. `max_active_runs=1` replays backfilled nights in
    order. See docs/operations.md.
    """
    loaded = [
        ingest.override(task_id=f"ingest_{feed}", outlets=[FEED_ASSETS[feed]])(feed)
        for feed in FEED_NAMES
    ]
    build_start, build_end = warehouse()
    loaded >> build_start
    build_end >> run_checks() >> send_alerts() >> [summary(), issue_bulletin()]


projledger_nightly()
