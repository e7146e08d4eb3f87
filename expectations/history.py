"""Every validation result kept in PostgreSQL (quality.check_result, migration 003): each
run of a night is appended under its own run_id; quality.check_result_latest shows the
latest run per night, so a re-run never rewrites what an earlier run found."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from psycopg2.extras import Json, execute_values

from expectations.results import CheckResult


def store_results(conn, run_date: date, results: Iterable[CheckResult]) -> int:
    """Append one run of checks for `run_date`; returns its run_id."""
    results = list(results)
    with conn.cursor() as cur:
        cur.execute(
            "insert into quality.check_run (run_date, n_checks, n_failed) values (%s, %s, %s)"
            " returning run_id",
            (run_date, len(results), sum(not r.success for r in results)),
        )
        run_id = cur.fetchone()[0]
        # A name seen twice in one run (e.g. two crashes of one suite) keeps its first result.
        seen: set[str] = set()
        rows = []
        for r in results:
            if r.check_name in seen:
                continue
            seen.add(r.check_name)
            rows.append(
                (
                    run_id,
                    run_date,
                    r.check_name,
                    r.suite,
                    r.success,
                    r.evaluated,
                    r.unexpected,
                    Json(r.failing_keys),
                    r.error,
                )
            )
        execute_values(
            cur,
            "insert into quality.check_result (run_id, run_date, check_name, suite, success,"
            " evaluated, unexpected, failing_keys, error) values %s",
            rows,
        )
    conn.commit()
    return run_id


def latest_results(conn, run_date: date) -> list[dict]:
    """The latest run's results for a night, failures first."""
    with conn.cursor() as cur:
        cur.execute(
            "select check_name, suite, success, evaluated, unexpected, failing_keys, error"
            " from quality.check_result_latest where run_date = %s"
            " order by success, check_name",
            (run_date,),
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
