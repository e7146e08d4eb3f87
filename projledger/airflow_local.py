"""A local Airflow for one developer: `projledger airflow`.

Runs `airflow standalone` (api-server, scheduler, dag-processor, triggerer, LocalExecutor) with
its home under $PROJLEDGER_HOME/airflow, its metadata in a database `airflow` on the same
PostgreSQL server as the warehouse (the embedded one by default), and the repository's dags/
as DAGs folder, so the nightly DAG, its runs and its logs are in the UI at once.
(SQLite, with the same LocalExecutor, until the asyncpg driver is installed.)
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2

from projledger.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

DAG_ID = "projledger_nightly"
METADATA_DB = "airflow"


def airflow_home(settings: Settings) -> Path:
    return settings.home / "airflow"


def metadata_url(settings: Settings) -> str:
    """PROJLEDGER_AIRFLOW_DB if set; else a database `airflow` beside the warehouse when the
    async PostgreSQL driver Airflow's API server needs (asyncpg) is installed; else SQLite."""
    if os.environ.get("PROJLEDGER_AIRFLOW_DB"):
        return os.environ["PROJLEDGER_AIRFLOW_DB"]
    sqlite = f"sqlite:///{airflow_home(settings) / 'airflow.db'}"
    if importlib.util.find_spec("asyncpg") is None:
        return sqlite
    from projledger.db import target
    from projledger.db.embedded import ensure_database

    server = target(settings)
    try:
        conn = psycopg2.connect(**server.connect_kwargs())
        try:
            ensure_database(conn, METADATA_DB)
        finally:
            conn.close()
    except psycopg2.Error as exc:
        log.warning("no Airflow database on the warehouse server (%s); using SQLite", exc)
        return sqlite
    return server.sqlalchemy_url(METADATA_DB)


def async_url(sync_url: str) -> str:
    """The API server's asyncpg URL of the same database. Airflow's own derivation only swaps
    the driver, but asyncpg names libpq's `sslmode` `ssl`, and takes no SSL file options."""
    from sqlalchemy.engine import make_url

    url = make_url(sync_url).set(drivername="postgresql+asyncpg")
    query = dict(url.query)
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    for libpq_only in ("sslrootcert", "sslcert", "sslkey", "connect_timeout", "keepalives_idle"):
        query.pop(libpq_only, None)
    return url.set(query=query).render_as_string(hide_password=False)


def environment(
    settings: Settings, *, port: int = 8080, metadata: str | None = None
) -> dict[str, str]:
    """The environment of every Airflow process of the local installation."""
    env = dict(os.environ)
    # `airflow standalone` starts its components as `airflow ...` from PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home(settings)),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "PROJLEDGER_HOME": str(settings.home),
            "PROJLEDGER_DBT_DIR": str(settings.dbt_project_dir),
        }
    )
    # A laptop: the first night's ~70 tasks all at once overload the api-server, and the
    # workers' 5 s default for Execution API calls then fails tasks for nothing.
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "8")
    env.setdefault("AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT", "30")
    if metadata:
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = metadata
        if metadata.startswith("postgresql+psycopg2:"):
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = async_url(metadata)
    return env


def _compile_manifest(settings: Settings) -> None:
    """The Cosmos graph is read from the compiled manifest; without one the DAG falls back to
    a single dbt build task, so a failure here is a warning, not a stop."""
    try:
        from projledger.dbt_runner import compile_manifest

        print(f"dbt manifest: {compile_manifest(settings)}")
    except Exception as exc:  # noqa: BLE001
        print(f"warning: no dbt manifest ({exc}); the DAG runs dbt as one task")


def _wait_for_api(port: int, proc: subprocess.Popen, timeout: float = 300) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2
            ):
                return True
        except OSError:
            time.sleep(2)
    return False


def admin_password(settings: Settings) -> str | None:
    path = airflow_home(settings) / "simple_auth_manager_passwords.json.generated"
    try:
        return json.loads(path.read_text()).get("admin")
    except (OSError, ValueError):
        return None


def standalone(settings: Settings, *, port: int | None = None) -> int:
    """Start the local Airflow and block until Ctrl-C; returns its exit code."""
    port = port or int(os.environ.get("PROJLEDGER_AIRFLOW_PORT", "8080"))
    airflow_home(settings).mkdir(parents=True, exist_ok=True)
    (settings.home / "inbox").mkdir(parents=True, exist_ok=True)
    _compile_manifest(settings)
    env = environment(settings, port=port, metadata=metadata_url(settings))
    airflow = str(Path(sys.executable).with_name("airflow"))
    log_path = airflow_home(settings) / "standalone.log"
    print(f"starting Airflow (home {env['AIRFLOW_HOME']}, log {log_path}) ...")
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            [airflow, "standalone"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            if not _wait_for_api(port, proc):
                print(f"Airflow did not come up; see {log_path}", file=sys.stderr)
                proc.terminate()
                return proc.wait() or 1
            print(f"Airflow UI: http://localhost:{port}  (DAG {DAG_ID})")
            print(f"login: admin / {admin_password(settings) or '(see ' + str(log_path) + ')'}")
            print(
                f"drop folder: {env.get('PROJLEDGER_INBOX') or settings.home / 'inbox'}; "
                "the scheduler runs the latest night at once, and each night at 02:00."
            )
            print("Ctrl-C stops it.")
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                return proc.wait(timeout=60) and 0
            except subprocess.TimeoutExpired:
                proc.kill()
                return 0
