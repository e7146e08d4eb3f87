"""The nightly run of Project Ledger as an Airflow DAG (wiring only: the work is in `projledger`
and the stages it calls).

Reads nothing but environment variables when parsed: the manifest path is checked for existence
(a local file stat), never compiled here.
"""

from __future__ import annotations

import inspect
import logging

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task
from pendulum import datetime
from projledger_common import (
    DB_POOL,
    DBT_MANIFEST,
    DBT_MODE,
    DBT_PROJECT_DIR,
    DEFAULT_ARGS,
    PREPARE_TASK,
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


@task(pool=DB_POOL, task_id=PREPARE_TASK)
def prepare_warehouse(**context) -> dict:
    """Once per night before the dbt tasks: the warehouse lease (waits for another run or a
    `projledger run` step), the ledger analyzed, the project parsed for the night (each dbt
    task reuses that parse)."""
    from projledger.airflow_night import prepare
    from projledger.settings import load_settings

    ti = context["ti"]
    return prepare(load_settings(), as_of(context), f"airflow {ti.dag_id} {ti.run_id}")


@task(pool=DB_POOL)
def release_warehouse(prepared: dict | None) -> bool:
    """Teardown: the lease back and the night's dbt parse removed, after a failure too (after
    a success grant_access has given it back already)."""
    from projledger.airflow_night import release
    from projledger.settings import load_settings

    return release(load_settings(), prepared)


@task(pool=DB_POOL)
def grant_access(prepared: dict | None = None) -> None:
    """dbt recreated the marts tables: the read-only role's grants and policies again; then
    the warehouse lease back, for the checks and digests that follow take the lock."""
    from projledger.airflow_night import release
    from projledger.night import grant_access as grant
    from projledger.settings import load_settings

    settings = load_settings()
    grant(settings, (prepared or {}).get("lease"))
    release(settings, prepared)


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
    """The dbt part. With a compiled manifest (production, and the tests): a lease-holding
    setup task, one Cosmos task per seed and model (`dbt build` of the node and of its tests
    that have no other parent), one task per test with several parents once all of them are
    built, the grants, and a teardown giving the lease back. Without one, or with
    PROJLEDGER_AIRFLOW_DBT=task: one task running the whole build as `projledger run` does.
    Returns its first and last tasks."""
    if DBT_MODE not in ("cosmos", "watcher") or not DBT_MANIFEST.exists():
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
    from cosmos.constants import ExecutionMode, InvocationMode, TestIndirectSelection

    from projledger.dbt_runner import PROFILE, TARGET

    prepared = prepare_warehouse()
    group = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=DBT_MANIFEST,
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name=PROFILE,
            target_name=TARGET,
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH if DBT_MODE == "watcher" else TestBehavior.BUILD,
            # A relationships test has two parents: it runs in a task of its own after both
            # (on a fresh warehouse the other one may not exist yet when a node's task runs).
            should_detach_multiple_parents_tests=True,
            # The feed and marts Assets above are the published lineage; per-table Assets would
            # carry the embedded server's changing port in their URIs.
            emit_datasets=False,
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER if DBT_MODE == "watcher" else ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # A node's task runs only the tests all of whose parents it builds.
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        operator_args={
            "install_deps": False,
            "interceptors": [dbt_interceptor],
            "pool": DB_POOL,
        },
    )
    granted = grant_access(prepared)
    prepared >> group >> granted >> release_warehouse(prepared).as_teardown(setups=prepared)
    return prepared, granted


@dag(
    dag_id="projledger_nightly",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=TIMEZONE),
    start_date=datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["projledger", "nightly", "ingest", "dbt", "alerts"],
)
def projledger_nightly():
    """
    ### Project Ledger: one night

    **Business date.** The logical date of a run is the business date `as_of` it closes: the run
    for D has the data interval D 02:00 to D+1 02:00 (Asia/Shanghai) and starts at D+1 02:00,
    once the night's deliveries are in the drop folder. A manual run may pass
    `{"as_of": "YYYY-MM-DD"}` as conf.

    **Steps.** `ingest_<feed>` loads each feed's new files into the event store (a missing
    delivery is a finding for the alerts, not a failure) and publishes the feed's Asset. Once
    every feed is in, `prepare_warehouse` takes the warehouse lease, analyzes the ledger and
    parses the dbt project for the night; the `dbt` group (Cosmos) builds each seed and model
    with its own tests, and runs each test with several parents once all are built;
    `grant_access` grants the new tables, and the teardown `release_warehouse` gives the lease
    back (after a failure too). Then the Great Expectations checks, the department digests
    (publishing the `marts` Asset) and the summary. The same functions as `projledger run`.

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


nightly = projledger_nightly()
# The docstring above is the DAG's documentation in the UI; dedented, or markdown would show
# its indented lines as a code block.
nightly.doc_md = inspect.cleandoc(nightly.doc_md or "")
