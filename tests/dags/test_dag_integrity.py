"""DAG integrity: the DAG files import without errors, carry tags, retries and a failure
callback, and parsing them touches no database (DATABASE_URL points at a closed port and any
connection attempt fails the parse)."""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from ingest.feeds.contracts import FEED_NAMES
from tests.dags.conftest import REPO, airflow_env, run_python

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
        "doc_md": dag.doc_md,
        "tasks": {t.task_id: {"retries": t.retries,
                              "setup": t.is_setup, "teardown": t.is_teardown,
                              "upstream": sorted(t.upstream_task_ids),
                              "indirect_selection": getattr(t, "indirect_selection", None),
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
    # One ingest task and Asset per feed of the contracts: a feed added there appears here.
    assert set(ingest) == {f"ingest_{feed}" for feed in FEED_NAMES}
    assert {"ingest_leads", "ingest_carriers", "ingest_hitech"} <= set(ingest)
    assert all(v["outlets"] == [f"ledger_{t.removeprefix('ingest_')}"] for t, v in ingest.items())
    assert out["seconds"] < 30
    # The DAG's documentation reaches the UI as markdown (not one indented code block).
    assert dag["doc_md"].startswith("### Project Ledger: one night")
    assert "\n**Reruns and backfills**" in dag["doc_md"]
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
    tasks = dag["tasks"]
    dbt_tasks = {t: v for t, v in tasks.items() if t.startswith("dbt.")}
    assert "dbt.dim_project_model_build" in dbt_tasks  # TestBehavior.BUILD: model + tests
    assert "build_warehouse" not in tasks
    # A node's task runs only its tests without another parent ...
    assert {v["indirect_selection"] for t, v in dbt_tasks.items() if t.endswith("_build")} == {
        "cautious"
    }
    # ... and a test with two parents runs once both are built (on a fresh warehouse the other
    # one did not exist yet when dim_project's task ran it).
    detached = [t for t in dbt_tasks if "relationships_dim_project_street_code" in t]
    assert len(detached) == 1
    assert {"dbt.dim_project_model_build", "dbt.dim_street_model_build"} <= set(
        tasks[detached[0]]["upstream"]
    )
    # The lease, the ANALYZE and the night's parse once before the dbt tasks; the lease back
    # in a teardown, also when a dbt task fails.
    assert tasks["prepare_warehouse"]["setup"]
    assert tasks["release_warehouse"]["teardown"]
    roots = [
        t for t, v in dbt_tasks.items() if not any(u.startswith("dbt.") for u in v["upstream"])
    ]
    assert roots and all("prepare_warehouse" in tasks[t]["upstream"] for t in roots)
    assert "grant_access" in tasks


def test_projledger_airflow_runs_the_cosmos_dag(tmp_path, monkeypatch):
    """`projledger airflow` (make airflow) on a fresh home compiles the manifest where the DAG
    looks for it, even with a DBT_TARGET_PATH set: its first night runs dbt through Cosmos.

    On a copy of the dbt project: a parse written into the repository's own target/ would be
    the newest there, and the Cosmos tasks of a night another test runs at the same time would
    take it for theirs (and parse the whole project again)."""
    from projledger.airflow_local import _compile_manifest, environment
    from projledger.settings import load_settings

    repo_target = REPO / "dbt_project" / "target"
    before = _files(repo_target)
    project = tmp_path / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target"))
    monkeypatch.setenv("PROJLEDGER_DBT_DIR", str(project))
    monkeypatch.setenv("PROJLEDGER_HOME", str(tmp_path / "fresh"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "elsewhere"))
    settings = load_settings()
    _compile_manifest(settings)
    env = environment(settings, metadata="sqlite:///unused.db")
    dag = _check(_parse(tmp_path, PROJLEDGER_DBT_DIR=env["PROJLEDGER_DBT_DIR"]))
    assert "dbt.dim_project_model_build" in dag["tasks"]
    assert "prepare_warehouse" in dag["tasks"]
    assert _files(repo_target) == before


def _files(folder) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*")}
