"""The nightly DAG really runs, on one generated inbox:

- a backfill of three nights with `dag.test()` gives, night after night, the marts that
  `projledger run` (run_night) gives for the same nights run one by one;
- a second run of the last night, by another scheduler (separate Airflow metadata) at the same
  time as the backfill's, doubles nothing;
- the tasks of a night run in a Celery worker on the local Redis, each task a process of its
  own as in the compose stack.

The three run concurrently (2 cores are enough: much of a night is waiting on PostgreSQL).
These runs take dbt as one task (PROJLEDGER_AIRFLOW_DBT=task) to keep the suite fast: through
Cosmos, a night's 70 dbt tasks, each a worker process, took ten minutes of the suite here.
A fresh night through Cosmos, one task per node, is test_cosmos_night.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.feeds.contracts import FEED_NAMES
from tests.conftest import DEMO_AS_OF, _create_db, _drop_db
from tests.dags.conftest import REPO, airflow_env
from tests.dags.marts import ledger_counts, marts_fingerprint

night = pytest.importorskip("projledger.night", reason="projledger.night is not there yet")
generate = pytest.importorskip("projledger.generate", reason="the feed generator is not there yet")

RUN_DAG = str(Path(__file__).with_name("run_dag.py"))
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
# Sunday (everything delivered so far), Monday and Tuesday (new files each): a backfill that
# replays what the district knew night by night.
NIGHTS = [DEMO_AS_OF - timedelta(days=2), DEMO_AS_OF - timedelta(days=1), DEMO_AS_OF]
TIMEOUT = 1800
pytestmark = pytest.mark.timeout(3600)


def _env(
    home: Path, url: str, inbox: Path, template: Path | None = None, **extra: str
) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    if template is not None:
        shutil.copy(template, home / "airflow.db")
    settings = {
        "DATABASE_URL": url,
        "PROJLEDGER_HOME": str(home),
        "PROJLEDGER_INBOX": str(inbox),
        "PROJLEDGER_AIRFLOW_DBT": "task",
        "PROJLEDGER_AIRFLOW_RETRIES": "0",
        # Each process its own dbt target: concurrent builds must not share partial parses.
        "DBT_TARGET_PATH": str(home / "dbt_target"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    return airflow_env(home, **{**settings, **extra})


def _start(
    env: dict[str, str], *nights: date, flags: tuple[str, ...] = (), log: Path
) -> subprocess.Popen:
    out = open(log, "w")  # noqa: SIM115 - closed with the process in _finish
    proc = subprocess.Popen(
        [sys.executable, RUN_DAG, *(n.isoformat() for n in nights), *flags],
        env=env,
        cwd=REPO,
        text=True,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log = log  # type: ignore[attr-defined]
    out.close()
    return proc


def _finish(proc: subprocess.Popen) -> str:
    try:
        proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop(proc)
    text = proc.log.read_text()  # type: ignore[attr-defined]
    assert proc.returncode == 0, text[-6000:]
    return text


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()


def _runs(out: str) -> list[tuple[str, str, str]]:
    return [tuple(line.split()[1:4]) for line in out.splitlines() if line.startswith("RUN ")]


def _marts(out: str) -> dict[str, dict[str, str]]:
    return {
        line.split(" ", 2)[1]: json.loads(line.split(" ", 2)[2])
        for line in out.splitlines()
        if line.startswith("MARTS ")
    }


# --- Celery -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_db() -> int | None:
    """An empty database number of the local Redis (its tasks meet no other worker's), or None
    when Redis is not there."""
    import redis

    for db in range(15, 5, -1):
        try:
            client = redis.Redis(host="127.0.0.1", port=6379, db=db, socket_timeout=2)
            if client.dbsize() == 0:
                return db
        except redis.RedisError:
            return None
    return None


def _celery_compatible() -> str | None:
    """Why the Celery executor cannot load with the installed celery, or None."""
    try:
        from celery.backends.database import retry  # noqa: F401 - the provider imports it
    except ImportError as exc:
        import celery

        return (
            f"celery {celery.__version__} cannot run the Airflow Celery provider ({exc}); "
            "the dependencies need celery<5.7"
        )
    return None


@dataclass
class Celery:
    env: dict[str, str]
    log: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.procs:
            _stop(proc)


def _start_celery(
    home: Path, url: str, inbox: Path, result_db: str, redis_db: int, template: Path
) -> Celery:
    """`airflow api-server` (the workers' Execution API) and `airflow celery worker`, sharing
    one metadata database with the process that runs the DAG."""
    port = _free_port()
    env = _env(
        home,
        url,
        inbox,
        template,
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        # A busy machine answers the workers' Execution API calls slower than the 5 s default
        # (a ReadTimeout failed a task before it started); as `projledger airflow` sets it.
        AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="60",
        AIRFLOW__CELERY__BROKER_URL=f"redis://127.0.0.1:6379/{redis_db}",
        AIRFLOW__CELERY__RESULT_BACKEND="db+"
        + result_db.replace("postgresql://", "postgresql+psycopg2://"),
        AIRFLOW__CELERY__WORKER_CONCURRENCY="2",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__API_AUTH__JWT_SECRET="projledger-test-secret-" + "x" * 48,
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
        AIRFLOW__CELERY__WORKER_LOG_SERVER_PORT=str(_free_port()),
    )
    celery = Celery(env, home / "celery.log")
    with open(celery.log, "w") as fh:
        for args in (
            ["api-server", "--host", "127.0.0.1", "--port", str(port)],
            ["celery", "worker", "--concurrency", "2"],
        ):
            celery.procs.append(
                subprocess.Popen(
                    [AIRFLOW, *args],
                    env=env,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    return celery


def _wait_for_celery(celery: Celery, timeout: float = 180) -> None:
    port = int(celery.env["AIRFLOW__API__PORT"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            api_up = s.connect_ex(("127.0.0.1", port)) == 0
        if api_up and " ready." in celery.log.read_text(errors="replace"):
            return
        assert all(p.poll() is None for p in celery.procs), celery.log.read_text()[-4000:]
        time.sleep(1)
    pytest.fail(
        "the api-server or the Celery worker did not start:\n" + celery.log.read_text()[-4000:]
    )


# --- the runs -----------------------------------------------------------------------------


@dataclass
class Results:
    dag_url: str
    backfill: str
    cli_marts: dict[str, dict[str, str]]
    second: str
    dag_counts: dict[str, int]
    cli_counts: dict[str, int]
    final_marts: dict[str, str]
    celery_url: str | None = None
    celery_out: str | None = None
    celery_log: str | None = None
    celery_skip: str | None = None


@pytest.fixture(scope="module")
def results(server_url, tmp_path_factory) -> Results:
    root = tmp_path_factory.mktemp("dag_runs")
    inbox = root / "inbox"
    generate.generate(inbox, seed=3, scale=0.1, as_of=DEMO_AS_OF, months=4)
    dbs: list[str] = []

    def database() -> str:
        dbs.append(_create_db(server_url))
        return dbs[-1]

    # One migrated Airflow metadata database, copied for every process that needs its own.
    template = root / "airflow_template" / "airflow.db"
    subprocess.run(
        [AIRFLOW, "db", "migrate"],
        check=True,
        capture_output=True,
        env=_env(template.parent, "postgresql://unused", inbox),
        timeout=300,
    )
    dag_url, cli_url = database(), database()
    celery = None
    redis_db = _redis_db()
    skip = _celery_compatible() if redis_db is not None else "no Redis on 127.0.0.1:6379"
    procs: list[subprocess.Popen] = []
    try:
        if skip is None:
            celery_url = database()
            celery = _start_celery(
                root / "celery", celery_url, inbox, database(), redis_db, template
            )
        backfill = _start(
            _env(root / "backfill", dag_url, inbox, template),
            *NIGHTS,
            flags=("--fingerprint",),
            log=root / "backfill.log",
        )
        procs.append(backfill)
        celery_run: dict[str, object] = {}
        if celery is not None:
            # Meanwhile, once the worker is up, one night of a fresh database through Celery.
            def celery_night() -> None:
                try:
                    _wait_for_celery(celery)
                    proc = _start(
                        celery.env, DEMO_AS_OF, flags=("--executor",), log=root / "celery_run.log"
                    )
                    procs.append(proc)
                    celery_run["out"] = _finish(proc)
                except BaseException as exc:  # noqa: BLE001 - reported by the Celery test
                    celery_run["error"] = exc

            thread = threading.Thread(target=celery_night, daemon=True)
            thread.start()
        # And the same nights one by one as `projledger run` does, on another database.
        cli_marts = {}
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DATABASE_URL", cli_url)
            mp.setenv("PROJLEDGER_HOME", str(root / "cli"))
            mp.setenv("DBT_TARGET_PATH", str(root / "cli" / "dbt_target"))
            from projledger.settings import load_settings

            settings = load_settings()
            for n in NIGHTS:
                report = night.run_night(settings, inbox, n)
                assert report.ok, report.problems
                cli_marts[n.isoformat()] = marts_fingerprint(cli_url)

        # A second scheduler (Airflow metadata of its own) runs the last night while the
        # backfill runs it: both race for the night's new files and rebuild the same marts.
        deadline = time.monotonic() + TIMEOUT
        while f"RUN {NIGHTS[-2].isoformat()} " not in (root / "backfill.log").read_text(
            errors="replace"
        ):
            assert backfill.poll() is None and time.monotonic() < deadline, (
                root / "backfill.log"
            ).read_text()[-6000:]
            time.sleep(0.5)
        second = _start(
            _env(root / "second", dag_url, inbox, template), DEMO_AS_OF, log=root / "second.log"
        )
        procs.append(second)
        backfill_out, second_out = _finish(backfill), _finish(second)
        results = Results(
            dag_url,
            backfill_out,
            cli_marts,
            second_out,
            ledger_counts(dag_url),
            ledger_counts(cli_url),
            marts_fingerprint(dag_url),
            celery_skip=skip,
        )
        if celery is not None:
            thread.join(TIMEOUT)
            celery.stop()
            results.celery_url = celery_url
            results.celery_out = str(celery_run.get("out") or celery_run.get("error"))
            results.celery_log = celery.log.read_text(errors="replace")
        yield results
    finally:
        for proc in procs:
            _stop(proc)
        if celery is not None:
            celery.stop()
            import redis

            # The database was empty when chosen: all in it is this run's broker state.
            redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
        for url in dbs:
            _drop_db(server_url, url)


def test_backfill_gives_the_marts_of_projledger_run_night_by_night(results):
    assert [(n, state) for n, state, _ in _runs(results.backfill)] == [
        (n.isoformat(), "success") for n in NIGHTS
    ]
    dag_marts = _marts(results.backfill)
    assert list(dag_marts) == list(results.cli_marts)
    # The last night is compared once the concurrent second run is over too (next test).
    for n in NIGHTS[:-1]:
        cli = results.cli_marts[n.isoformat()]
        assert cli and dag_marts[n.isoformat()] == cli, f"marts differ after night {n}"
    assert results.final_marts == results.cli_marts[DEMO_AS_OF.isoformat()]
    # Not trivially equal: each night knows more than the one before.
    first, last = (results.cli_marts[n.isoformat()] for n in (NIGHTS[0], NIGHTS[-1]))
    assert first["fct_batch"] != last["fct_batch"]


def test_a_second_concurrent_run_of_the_night_doubles_nothing(results):
    assert [(n, state) for n, state, _ in _runs(results.second)] == [
        (DEMO_AS_OF.isoformat(), "success")
    ]
    assert results.dag_counts["events"] > 0
    assert results.dag_counts["loaded_twice"] == 0
    # Exactly the events and batches of the nights run once each by `projledger run`.
    assert results.dag_counts == results.cli_counts
    assert results.final_marts == results.cli_marts[DEMO_AS_OF.isoformat()]


def test_tasks_run_through_a_celery_worker(results):
    if results.celery_skip and results.celery_skip.startswith("no Redis"):
        pytest.skip(results.celery_skip)
    assert results.celery_skip is None, results.celery_skip
    runs = _runs(results.celery_out or "")
    assert [(n, state) for n, state, _ in runs] == [(DEMO_AS_OF.isoformat(), "success")], (
        results.celery_out or ""
    )[-4000:]
    run_id = runs[0][2]
    # The worker log names every task of the run it executed.
    executed = {
        line.split("task_id=", 1)[1].split("/", 1)[0]
        for line in (results.celery_log or "").splitlines()
        if "Executing workload in Celery" in line and f"run_id={run_id}/" in line
    }
    ingest = {f"ingest_{feed}" for feed in FEED_NAMES}
    assert ingest | {"build_warehouse", "run_checks", "send_alerts", "summary"} <= executed
    counts = ledger_counts(results.celery_url)
    assert counts["events"] > 0 and counts["loaded_twice"] == 0
