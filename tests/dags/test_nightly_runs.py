"""The nightly DAG really runs: one night with `dag.test()` gives the marts of `projledger run`;
three nights replayed in order (a backfill); a second, concurrent run of the same night doubles
nothing; and the tasks run through a Celery worker on the local Redis.

dbt runs as one task here (PROJLEDGER_AIRFLOW_DBT=task) to keep the suite fast; the Cosmos
rendering of the same build is checked in test_dag_integrity.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import DEMO_AS_OF, _create_db, _drop_db
from tests.dags.conftest import REPO, airflow_env

night = pytest.importorskip("ingest.night", reason="ingest.night is not there yet")
generate = pytest.importorskip("ingest.generate", reason="the feed generator is not there yet")

RUN_DAG = str(Path(__file__).with_name("run_dag.py"))
# Columns that record wall-clock facts (when a file was loaded, a mail sent), not data.
WALL_CLOCK = ("timestamp without time zone", "timestamp with time zone")
# Surrogate keys numbered in load order: the DAG loads feeds in parallel tasks, the CLI one
# feed after another, so the same files get other batch numbers.
LOAD_ORDER = r"(batch_id|event_id|rejected_id|rejected_key|alert_id|item_id|duplicate_of)$"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("inbox")
    generate.generate(out, seed=3, scale=0.1, as_of=DEMO_AS_OF, months=4)
    return out


@pytest.fixture
def database(server_url):
    urls = []

    def make() -> str:
        urls.append(_create_db(server_url))
        return urls[-1]

    yield make
    for url in urls:
        _drop_db(server_url, url)


def _env(home: Path, url: str, inbox: Path, **extra) -> dict[str, str]:
    return airflow_env(home, DATABASE_URL=url, PROJLEDGER_HOME=str(home),
                       PROJLEDGER_INBOX=str(inbox), PROJLEDGER_AIRFLOW_DBT="task",
                       PROJLEDGER_AIRFLOW_RETRIES="0", **extra)


def _run_dag(env: dict[str, str], *nights: date, executor: bool = False,
             timeout: float = 900) -> subprocess.Popen:
    args = [sys.executable, RUN_DAG, *(n.isoformat() for n in nights)]
    if executor:
        args.append("--executor")
    return subprocess.Popen(args, env=env, cwd=REPO, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _finish(proc: subprocess.Popen, timeout: float = 900) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-5000:]
    return out


def marts_fingerprint(url: str) -> dict[str, str]:
    """Per marts table: row count and an md5 of its rows, wall-clock columns left out."""
    conn = psycopg2.connect(url)
    out = {}
    with conn.cursor() as cur:
        cur.execute("""select table_name, string_agg(quote_ident(column_name), ', '
                                                      order by ordinal_position)
                       from information_schema.columns
                       where table_schema = 'marts' and data_type <> all(%s)
                         and column_name !~ %s
                       group by table_name order by table_name""", (list(WALL_CLOCK), LOAD_ORDER))
        for table, cols in cur.fetchall():
            cur.execute(f"select count(*), md5(coalesce(string_agg(r::text, '|' order by r::text),"
                        f" '')) from (select {cols} from marts.{table}) as r")
            out[table] = "{} {}".format(*cur.fetchone())
    conn.close()
    return out


def _counts(url: str) -> tuple[int, int]:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("select (select count(*) from ledger.event), (select count(*) from "
                    "(select feed, sha256 from ledger.batch group by 1, 2 having count(*) > 1) d)")
        events, twice = cur.fetchone()
    conn.close()
    return events, twice


def test_dag_night_gives_the_marts_of_projledger_run(inbox, database, tmp_path, monkeypatch):
    dag_url, cli_url = database(), database()
    _finish(_run_dag(_env(tmp_path / "dag", dag_url, inbox), DEMO_AS_OF))

    monkeypatch.setenv("DATABASE_URL", cli_url)
    monkeypatch.setenv("PROJLEDGER_HOME", str(tmp_path / "cli"))
    from ingest.settings import load_settings

    report = night.run_night(load_settings(), inbox, DEMO_AS_OF)
    assert report.ok, report.problems
    dag_marts, cli_marts = marts_fingerprint(dag_url), marts_fingerprint(cli_url)
    assert dag_marts and dag_marts == cli_marts


def test_backfill_three_nights_then_a_concurrent_rerun(inbox, database, tmp_path):
    url = database()
    nights = [DEMO_AS_OF - timedelta(days=2), DEMO_AS_OF - timedelta(days=1), DEMO_AS_OF]
    out = _finish(_run_dag(_env(tmp_path / "a", url, inbox), *nights))
    assert [line.split()[1] for line in out.splitlines() if line.startswith("RUN ")] == \
        [n.isoformat() for n in nights]
    events, twice = _counts(url)
    before = marts_fingerprint(url)
    assert events > 0 and twice == 0

    # Two schedulers (separate Airflow metadata) re-run the last night at the same time.
    procs = [_run_dag(_env(tmp_path / name, url, inbox), DEMO_AS_OF) for name in ("b", "c")]
    for proc in procs:
        _finish(proc)
    assert _counts(url) == (events, 0)
    assert marts_fingerprint(url) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_tasks_run_through_a_celery_worker(inbox, database, tmp_path):
    url = database()
    airflow_db = database().replace("postgresql://", "postgresql+psycopg2://")
    port = _free_port()
    queue = f"projledger_test_{os.getpid()}"
    env = _env(tmp_path, url, inbox,
               AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path / 'airflow.db'}",
               AIRFLOW__CELERY__BROKER_URL="redis://127.0.0.1:6379/5",
               AIRFLOW__CELERY__RESULT_BACKEND="db+" + airflow_db.replace("+psycopg2", ""),
               AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue,
               AIRFLOW__CELERY__WORKER_CONCURRENCY="2",
               AIRFLOW__API__PORT=str(port),
               AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
               AIRFLOW__API_AUTH__JWT_SECRET="projledger-test-secret",
               AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
               AIRFLOW__CELERY__WORKER_LOG_SERVER_PORT=str(_free_port()))
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    logs = tmp_path / "services.log"
    with open(logs, "w") as fh:
        api = subprocess.Popen([airflow, "api-server", "--port", str(port)], env=env,
                               stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        worker = subprocess.Popen([airflow, "celery", "worker", "--queues", queue,
                                   "--concurrency", "2"], env=env, stdout=fh,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(1)
            out = _finish(_run_dag(env, DEMO_AS_OF, executor=True))
            assert f"RUN {DEMO_AS_OF.isoformat()} success" in out
        finally:
            for proc in (worker, api):
                os.killpg(proc.pid, 15)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
    text = logs.read_text()
    assert "ingest_registry" in text or "Executing workload" in text, text[-3000:]
    events, twice = _counts(url)
    assert events > 0 and twice == 0
