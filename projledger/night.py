"""One night of the pipeline: ingest, dbt build, quality checks, alert digests, summary.

`projledger run` and the Airflow DAGs call these same functions, step by step, so a night
run from the command line and one run by the scheduler give the same warehouse.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from projledger.db import connect
from projledger.db.locks import warehouse_lock
from projledger.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class NightReport:
    as_of: date
    ok: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    summary: str = ""


def ingest_feeds(
    settings: Settings, inbox: Path, feeds: list[str] | None = None, as_of: date | None = None
) -> list:
    """Load every new file of the inbox (or of some feeds) delivered by `as_of`: a night
    knows only what had arrived by its business date, so a backfill replays nights in order.
    A feed with nothing new is not an error: an overdue delivery is the `missing_feed`
    rule's finding, for the alerts."""
    from ingest.load import ingest_inbox

    conn = connect(settings)
    try:
        return ingest_inbox(conn, Path(inbox), feeds, until=as_of)
    finally:
        conn.close()


def ingest_feed(settings: Settings, inbox: Path, feed: str, as_of: date) -> dict:
    """One feed's ingest, summarised (what an Airflow task returns and publishes)."""
    batches = [b for b in ingest_feeds(settings, inbox, [feed], as_of) if b.status != "skipped"]
    return {
        "as_of": as_of.isoformat(),
        "new_files": [b.file_name for b in batches],
        "rejected_files": [b.file_name for b in batches if b.status == "rejected"],
        "rows_loaded": sum(b.rows_loaded for b in batches),
        "rows_rejected": sum(b.rows_rejected for b in batches),
        "events_added": sum(b.events_added for b in batches),
    }


def build_warehouse(settings: Settings, as_of: date, full_refresh: bool = False):
    from projledger.dbt_runner import build

    with warehouse_lock(settings):
        result = build(settings, as_of, full_refresh=full_refresh)
    if not result.success:
        failed = "; ".join(f"{r.unique_id}: {r.message}" for r in result.failed[:5])
        raise RuntimeError(f"dbt build failed for {as_of}: {result.error or failed}")
    grant_access(settings)
    return result


def grant_access(settings: Settings, lease: str | None = None) -> list[str]:
    """dbt recreates the marts tables on every build: grants and street policies again (within
    the warehouse lease `lease` when the caller holds it)."""
    from projledger.db.roles import ensure_roles

    with warehouse_lock(settings, lease):
        conn = connect(settings)
        try:
            return ensure_roles(conn)
        finally:
            conn.close()


def run_checks(settings: Settings, as_of: date) -> list:
    from expectations.checkpoints import run_checks as run

    with warehouse_lock(settings):
        return run(settings, as_of)


def send_alerts(settings: Settings, as_of: date) -> list[str]:
    from alerts import send_digests

    with warehouse_lock(settings):
        return send_digests(settings, as_of)


def _load_checks() -> None:
    import expectations.checkpoints  # noqa: F401 - GX's imports, about 5 s


def _checks_child(settings: Settings, as_of: date) -> tuple[float, str | None]:
    """Tonight's checks, in the forked process: their seconds, and why they could not run if
    they could not (as text: an exception of GX's own may not cross back to the parent)."""
    from expectations.checkpoints import run_checks as run

    started = time.monotonic()
    try:
        run(settings, as_of)
    except Exception as exc:  # noqa: BLE001 - reported by the parent as the step's failure
        log.exception("checks failed")
        return time.monotonic() - started, f"{type(exc).__name__}: {exc}"
    return time.monotonic() - started, None


class _ChecksProcess:
    """The process tonight's checks run in, forked when the night starts (before any thread
    or connection of the night exists), so that GX loads while ingest and dbt run: a night
    used to wait for those imports after the build. `start` once the warehouse is built (the
    caller holds the warehouse lock); `wait` gives their seconds or raises if they failed."""

    def __init__(self, settings: Settings, as_of: date) -> None:
        self._args = (settings, as_of)
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("fork")
        )
        self._pool.submit(_load_checks)
        self._running: Future | None = None

    def __enter__(self) -> _ChecksProcess:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def start(self) -> None:
        self._running = self._pool.submit(_checks_child, *self._args)

    def wait(self) -> float:
        assert self._running is not None, "checks not started"
        seconds, error = self._running.result()
        if error is not None:
            raise RuntimeError(error)
        return seconds


def run_night(settings: Settings, inbox: Path, as_of: date) -> NightReport:
    """Run every step; a failing check or alert step is reported, never hides the others. A
    failed ingest or build stops the night (checks and alerts would read a stale warehouse);
    every failure is logged with its traceback and listed in the report and its summary."""
    from projledger.db import target

    # Every layer's connection comes from this one resolution: a DATABASE_URL some layer
    # cannot take raises DatabaseUrlError here, before anything is written.
    target(settings)
    report = NightReport(as_of)

    def step(name: str, fn, *args) -> tuple[bool, Any]:
        started = time.monotonic()
        try:
            return True, fn(*args)
        except Exception as exc:  # a failed step is the report's finding, not a crash
            log.exception("%s failed", name)
            report.ok = False
            report.problems.append(f"{name} failed: {exc}")
            return False, None
        finally:
            report.timings[name] = time.monotonic() - started

    alert_lines: list[str] = []
    with _ChecksProcess(settings, as_of) as checks:
        ingested, batches = step("ingest", ingest_feeds, settings, inbox, None, as_of)
        if ingested and step("dbt build", build_warehouse, settings, as_of)[0]:
            # The checks and the digests at once, under one hold of the warehouse lock: both
            # read the built warehouse, and they write apart (quality.check_result; alerts.*).
            # The checks run in their own process, so that GX's own Python work (about half
            # its time) and the digests' do not take turns on one interpreter lock.
            from alerts import send_digests

            with warehouse_lock(settings):
                checks.start()
                alert_lines = step("alerts", send_digests, settings, as_of)[1] or []
                checked_ok, seconds = step("checks", checks.wait)
                if checked_ok:  # their own time, not the wait after the digests
                    report.timings["checks"] = seconds
    from projledger.summary import night_summary

    report.summary = night_summary(settings, as_of, batches or [], alert_lines, report)
    return report


def summary(settings: Settings, as_of: date) -> str:
    from projledger.summary import night_summary

    return night_summary(settings, as_of, None, None, None)
