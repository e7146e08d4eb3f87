"""The path production runs: one night through the DAG with dbt through Cosmos (one task per
seed and model, read from the compiled manifest), on a fresh warehouse.

- every task succeeds at its first try (retries off): no test runs before all of its parents
  are built;
- the marts equal those of `projledger run` of the same night on another fresh database;
- the ledger is analyzed once, by the task before the dbt group, and every dbt task reuses
  the parse made for the night instead of parsing the whole project again;
- the warehouse lease is given back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import DEMO_AS_OF, _create_db, _drop_db
from tests.dags.marts import marts_fingerprint
from tests.dags.test_nightly_runs import RUN_DAG, TIMEOUT, _env, _marts, _runs

# About 70 dbt tasks, each a dbt invocation: minutes on a busy 2-core machine.
pytestmark = pytest.mark.timeout(3000)

night = pytest.importorskip("projledger.night", reason="projledger.night is not there yet")
generate = pytest.importorskip("projledger.generate", reason="the feed generator is not there yet")


def _analyze_count(url: str) -> int:
    """Analyses of the store's parent: only the night's own (autovacuum never analyzes a
    partitioned table); on a fresh warehouse its partitions are new, so the night analyzes it."""
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute(
            "select analyze_count from pg_stat_user_tables where relid = 'ledger.event'::regclass"
        )
        count = cur.fetchone()[0]
    conn.close()
    return count


@pytest.fixture(scope="module")
def cosmos_night(server_url, tmp_path_factory):
    from projledger.dbt_runner import run_dbt
    from projledger.settings import load_settings

    root = tmp_path_factory.mktemp("cosmos_night")
    inbox = root / "inbox"
    generate.generate(inbox, seed=3, scale=0.1, as_of=DEMO_AS_OF, months=4)
    # The manifest as the Docker image compiles it (dbt parse, no database).
    target = root / "manifest"
    parsed = run_dbt(load_settings(), ["parse", "--target-path", str(target)], with_db=False)
    assert parsed.success, parsed.error
    dag_url, cli_url = _create_db(server_url), _create_db(server_url)
    try:
        home = root / "dag"
        env = _env(
            home,
            dag_url,
            inbox,
            PROJLEDGER_AIRFLOW_DBT="cosmos",
            PROJLEDGER_DBT_MANIFEST=str(target / "manifest.json"),
        )
        log = root / "dag.log"
        started = time.monotonic()
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, RUN_DAG, DEMO_AS_OF.isoformat(), "--migrate", "--fingerprint"],
                env=env,
                cwd=Path(__file__).resolve().parents[2],
                text=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Meanwhile the same night as `projledger run` runs it.
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DATABASE_URL", cli_url)
            mp.setenv("PROJLEDGER_HOME", str(root / "cli"))
            mp.setenv("DBT_TARGET_PATH", str(root / "cli" / "dbt_target"))
            report = night.run_night(load_settings(), inbox, DEMO_AS_OF)
            assert report.ok, report.problems
            cli = marts_fingerprint(cli_url)
        try:
            proc.wait(timeout=TIMEOUT * 2)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        seconds = time.monotonic() - started
        out = log.read_text(errors="replace")
        # The figures for the README: the DAG's night against `projledger run`'s dbt build
        # (one dbt invocation: what a watcher-mode producer task would run).
        print(
            f"\none night through the Cosmos DAG: {seconds:.0f} s; projledger run: dbt build "
            f"{report.timings.get('dbt build', 0):.0f} s, whole night "
            f"{sum(report.timings.values()):.0f} s"
        )
        yield {
            "out": out,
            "returncode": proc.returncode,
            "cli": cli,
            "url": dag_url,
            "home": home,
            "analyzed": _analyze_count(dag_url),
        }
    finally:
        _drop_db(server_url, dag_url)
        _drop_db(server_url, cli_url)


def _lines_with(out: str, phrase: str) -> list[str]:
    """The log's lines that hold `phrase`: what a failure shows, instead of the whole log."""
    return [line for line in out.splitlines() if phrase in line]


def test_a_fresh_warehouse_builds_at_the_first_try_through_cosmos(cosmos_night):
    out = cosmos_night["out"]
    assert [(n, s) for n, s, _ in _runs(out)] == [(DEMO_AS_OF.isoformat(), "success")], out[-6000:]
    assert cosmos_night["returncode"] == 0
    # It was the Cosmos path: one task per node, and a task per test with several parents.
    assert "[DAG TEST] end task task_id=dbt.dim_project_model_build" in out
    assert "task_id=dbt.relationships_dim_project_street_code" in out
    assert not _lines_with(out, "build_warehouse")
    assert not _lines_with(out, "does not exist")


def test_the_marts_are_those_of_projledger_run(cosmos_night):
    dag = _marts(cosmos_night["out"])[DEMO_AS_OF.isoformat()]
    assert dag and dag == cosmos_night["cli"]


def test_each_dbt_task_reuses_the_nights_parse(cosmos_night):
    out = cosmos_night["out"]
    tasks = out.count("Trying to run dbtRunner with")
    assert tasks > 50
    assert not _lines_with(out, "Unable to do partial parsing")
    assert out.count("Partial parse is enabled and the latest partial parse file is None") == 0


def test_the_ledger_is_analyzed_once_and_the_lease_given_back(cosmos_night):
    # ANALYZE by the prepare task, once; the dbt tasks' on-run-start skips it.
    assert cosmos_night["analyzed"] == 1
    assert "OK hook: projledger.on-run-start" in cosmos_night["out"]
    conn = psycopg2.connect(cosmos_night["url"])
    with conn.cursor() as cur:
        cur.execute("select count(*) from ledger.warehouse_lease")
        assert cur.fetchone()[0] == 0
    conn.close()
    assert not list((cosmos_night["home"] / "dbt_nights").glob("*"))
