"""DAG integrity: the DAG files import without errors, carry tags, retries and a failure
callback, and parsing them touches no database (DATABASE_URL points at a closed port and any
connection attempt fails the parse)."""

from __future__ import annotations

import json
import socket

import pytest

from ingest.feeds.contracts import FEED_NAMES
from tests.dags.conftest import airflow_env, run_python

PARSE = r"""
import json, sys, time
import psycopg2

def refuse(*args, **kwargs):
    raise AssertionError("a database connection at parse time")

psycopg2.connect = refuse
from airflow.dag_processing.dagbag import DagBag
started = time.monotonic()
bag = DagBag(sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()},
       "seconds": time.monotonic() - started, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tags": sorted(dag.tags),
        "max_active_runs": dag.max_active_runs,
        "catchup": dag.catchup,
        "timetable": repr(dag.timetable),
        "tasks": {t.task_id: {"retries": t.retries,
                              "callback": bool(t.on_failure_callback),
                              "outlets": [getattr(o, "name", str(o)) for o in t.outlets]}
                  for t in dag.tasks},
    }
print("JSON" + json.dumps(out))
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parse(tmp_path, **env) -> dict:
    home = tmp_path / "home"
    result = run_python(
        ["-c", PARSE, str(airflow_env(home)["AIRFLOW__CORE__DAGS_FOLDER"])],
        airflow_env(
            home,
            DATABASE_URL=f"postgresql://postgres@127.0.0.1:{_closed_port()}/x",
            PROJLEDGER_HOME=str(home),
            **env,
        ),
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.split("JSON", 1)[1])
    assert not (home / "pgdata").exists(), "parsing started the embedded database"
    return out


def _check(out: dict) -> dict:
    assert out["errors"] == {}
    dag = out["dags"]["projledger_nightly"]
    assert {"projledger", "nightly"} <= set(dag["tags"])
    assert dag["max_active_runs"] == 1
    assert "Asia/Shanghai" in dag["timetable"]
    for task_id, task in dag["tasks"].items():
        assert task["retries"] >= 1, task_id
        assert task["callback"], task_id
    ingest = {t: v for t, v in dag["tasks"].items() if t.startswith("ingest_")}
    # One ingest task per feed of the contracts, the promotion loop's included.
    assert set(ingest) == {f"ingest_{feed}" for feed in FEED_NAMES}
    assert {"ingest_leads", "ingest_carriers", "ingest_hitech"} <= set(ingest)
    assert all(v["outlets"] == [f"ledger_{t.removeprefix('ingest_')}"] for t, v in ingest.items())
    assert out["seconds"] < 30
    return dag


def test_dag_parses_without_manifest(tmp_path):
    dag = _check(_parse(tmp_path, PROJLEDGER_DBT_MANIFEST=str(tmp_path / "absent.json")))
    assert "build_warehouse" in dag["tasks"]


def test_dag_renders_dbt_nodes_from_manifest(tmp_path):
    from projledger.dbt_runner import run_dbt
    from projledger.settings import load_settings

    target = tmp_path / "target"
    run = run_dbt(load_settings(), ["parse", "--target-path", str(target)], with_db=False)
    if not run.success:
        pytest.fail(f"dbt parse failed: {run.error}")
    dag = _check(_parse(tmp_path, PROJLEDGER_DBT_MANIFEST=str(target / "manifest.json")))
    dbt_tasks = [t for t in dag["tasks"] if t.startswith("dbt.")]
    assert any(t.endswith("_build") for t in dbt_tasks)  # TestBehavior.BUILD: model + tests
    assert "build_warehouse" not in dag["tasks"]
    assert "grant_access" in dag["tasks"]
