"""Any libpq URL reaches the same server in every layer (feeds.md, "Database connection"):
a whole night over a socket-only server on a port that is not 5432, and over TCP with a
password, each server logging who connected; PGPASSWORD and ~/.pgpass keep working; a URL a
layer cannot take stops the run before anything is written."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from projledger.db import DatabaseUrlError, dbt_env, target
from projledger.generate import generate
from projledger.night import run_night
from projledger.settings import REPO_ROOT
from tests.conftest import DEMO_AS_OF
from tests.throwaway_server import throwaway_server, url_settings

SCALE = 0.05
PASSWORD = "p@ss:w/rd #1?"
# Every layer names itself: ingest, alerts and the summary as `projledger`, dbt and GX apart.
LAYERS = {"projledger", "projledger_dbt", "projledger_gx"}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    generate(folder, seed=3, scale=SCALE, as_of=DEMO_AS_OF)
    return folder


@pytest.fixture(scope="module")
def socket_server(tmp_path_factory):
    with throwaway_server(tmp_path_factory.mktemp("sock"), tcp=False) as server:
        yield server


@pytest.fixture(scope="module")
def tcp_server(tmp_path_factory):
    with throwaway_server(tmp_path_factory.mktemp("tcp"), tcp=True) as server:
        conn = server.admin()
        with conn.cursor() as cur:
            cur.execute("create role ledger_owner login createrole password %s", (PASSWORD,))
        conn.close()
        yield server


def _airflow_layers(settings) -> dict[str, str]:
    """What the Airflow side would use: the env Cosmos' dbt tasks get, and the metadata URL."""
    sys.path.insert(0, str(REPO_ROOT / "dags"))
    try:
        common = importlib.import_module("projledger_common")
    finally:
        sys.path.remove(str(REPO_ROOT / "dags"))
    operator = SimpleNamespace(env={}, vars={})
    # A dbt task of a night whose prepare task left nothing in XCom (a parse of its own).
    context = {
        "dag_run": SimpleNamespace(conf={"as_of": DEMO_AS_OF.isoformat()}),
        "ti": SimpleNamespace(xcom_pull=lambda task_ids: None),
    }
    common.dbt_interceptor(context, operator)
    return operator.env


def test_a_night_over_a_socket_only_server_reaches_only_that_server(
    socket_server, inbox, tmp_path, monkeypatch
):
    socket_server.create_database("ledger_sock")
    url = f"postgresql://postgres@/ledger_sock?host={socket_server.socket_dir}&port={socket_server.port}"
    settings = url_settings(monkeypatch, tmp_path, url)

    report = run_night(settings, inbox, DEMO_AS_OF)

    assert report.ok, report.problems
    seen = socket_server.connections("ledger_sock")  # before our own look at it
    landed = socket_server.landed("ledger_sock")
    assert all(landed.values()), landed
    assert {c["application"] for c in seen} >= LAYERS, seen
    assert {c["host"] for c in seen} == {"[local]"}
    env = _airflow_layers(settings)
    assert (env["PROJLEDGER_PG_HOST"], env["PROJLEDGER_PG_PORT"]) == (
        str(socket_server.socket_dir),
        str(socket_server.port),
    )
    assert env["PROJLEDGER_PG_DBNAME"] == "ledger_sock"


def test_a_night_over_tcp_with_a_password_reaches_only_that_server(
    tcp_server, inbox, tmp_path, monkeypatch
):
    tcp_server.create_database("ledger_tcp", owner="ledger_owner")
    url = (
        f"postgresql://ledger_owner:{quote(PASSWORD, safe='')}@127.0.0.1:{tcp_server.port}"
        "/ledger_tcp?sslmode=disable"
    )
    settings = url_settings(monkeypatch, tmp_path, url)

    report = run_night(settings, inbox, DEMO_AS_OF)

    assert report.ok, report.problems
    seen = tcp_server.connections("ledger_tcp")  # before our own look at it
    landed = tcp_server.landed("ledger_tcp")
    assert all(landed.values()), landed
    assert {c["application"] for c in seen} >= LAYERS, seen
    assert {(c["user"], c["host"]) for c in seen} == {("ledger_owner", "127.0.0.1")}
    env = _airflow_layers(settings)
    assert env["PROJLEDGER_PG_PASSWORD"] == PASSWORD
    assert env["PROJLEDGER_PG_SSLMODE"] == "disable"


def test_pgpassword_and_pgpass_still_give_the_password(tcp_server, tmp_path, monkeypatch):
    tcp_server.create_database("ledger_pw", owner="ledger_owner")
    url = f"postgresql://ledger_owner@127.0.0.1:{tcp_server.port}/ledger_pw"
    settings = url_settings(monkeypatch, tmp_path, url)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert dbt_env(settings)["PROJLEDGER_PG_PASSWORD"] == PASSWORD

    monkeypatch.delenv("PGPASSWORD")
    passfile = tmp_path / "pgpass"
    escaped = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
    passfile.write_text(f"127.0.0.1:{tcp_server.port}:ledger_pw:ledger_owner:{escaped}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert dbt_env(settings)["PROJLEDGER_PG_PASSWORD"] == PASSWORD

    import sqlalchemy

    from projledger.db import sqlalchemy_url

    engine = sqlalchemy.create_engine(sqlalchemy_url(settings))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select current_user").scalar() == "ledger_owner"
    engine.dispose()


@pytest.mark.parametrize(
    "query",
    [
        "options=-csearch_path%3Dother",  # dbt's profile has no field for it
        "target_session_attrs=read-write",
        "service=warehouse",
    ],
)
def test_a_url_a_layer_cannot_take_stops_the_night_before_anything_is_written(
    socket_server, inbox, tmp_path, monkeypatch, query
):
    name = "ledger_" + query.split("=", 1)[0]
    socket_server.create_database(name)
    url = (
        f"postgresql://postgres@/{name}?host={socket_server.socket_dir}"
        f"&port={socket_server.port}&{query}"
    )
    settings = url_settings(monkeypatch, tmp_path, url)
    with pytest.raises(DatabaseUrlError, match=query.split("=", 1)[0]):
        run_night(settings, inbox, DEMO_AS_OF)
    conn = socket_server.admin(name)
    with conn.cursor() as cur:
        cur.execute("select count(*) from pg_namespace where nspname in ('ledger', 'marts')")
        assert cur.fetchone()[0] == 0
    conn.close()


def test_several_hosts_are_refused_with_a_clear_message(monkeypatch, tmp_path):
    settings = url_settings(monkeypatch, tmp_path, "postgresql://postgres@h1:5432,h2:5433/ledger")
    with pytest.raises(DatabaseUrlError, match="several hosts"):
        target(settings)


def test_the_local_airflow_metadata_urls_reach_the_same_server(
    socket_server, tmp_path, monkeypatch
):
    """`projledger airflow` keeps its metadata beside the warehouse: the sync (psycopg2) and
    async (asyncpg, the API server's) URLs both reach the socket-only server."""
    import asyncio

    import sqlalchemy
    from sqlalchemy.ext.asyncio import create_async_engine

    from projledger import airflow_local

    socket_server.create_database("ledger_af")
    url = (
        f"postgresql://postgres@/ledger_af?host={socket_server.socket_dir}"
        f"&port={socket_server.port}&sslmode=disable"
    )
    settings = url_settings(monkeypatch, tmp_path, url)
    env = airflow_local.environment(settings, metadata=airflow_local.metadata_url(settings))
    sync = sqlalchemy.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    with sync.connect() as conn:
        assert conn.exec_driver_sql("select current_database()").scalar() == "airflow"
    sync.dispose()

    async def ask() -> str:
        engine = create_async_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"])
        async with engine.connect() as conn:
            name = (await conn.exec_driver_sql("select current_database()")).scalar()
        await engine.dispose()
        return name

    assert asyncio.run(ask()) == "airflow"
