"""Shared fixtures: one real PostgreSQL per test session (the embedded server, or the server
named by PROJLEDGER_TEST_DATABASE_URL), and a fresh database per test or module."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg2
import pytest

from projledger.db import connect, embedded
from projledger.db.conninfo import dbname_of, with_dbname
from projledger.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEMO_AS_OF = date(2026, 11, 24)


@pytest.fixture(scope="session", autouse=True)
def dbt_output(tmp_path_factory) -> None:
    """dbt's target and log folders of this test process, not the project's own: the suite runs
    in several processes (pytest-xdist), and two dbt invocations sharing one target would read
    each other's half-written partial parse and results."""
    root = tmp_path_factory.mktemp("dbt")
    os.environ["DBT_TARGET_PATH"] = str(root / "target")
    os.environ["DBT_LOG_PATH"] = str(root / "logs")


def dbt_target(settings: Settings) -> Path:
    """Where dbt wrote its artifacts (manifest, catalog) for this test process."""
    return Path(os.environ.get("DBT_TARGET_PATH") or settings.dbt_project_dir / "target")


@pytest.fixture(scope="session")
def pg_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("projledger_home")


@pytest.fixture(scope="session")
def server_url(pg_home: Path) -> Iterator[str]:
    """A maintenance URL (database 'postgres') of the server the tests use."""
    external = os.environ.get("PROJLEDGER_TEST_DATABASE_URL")
    if external:
        yield with_dbname(external, "postgres")
        return
    port = embedded.start(pg_home)
    yield embedded.url(port, "postgres")
    embedded.stop(pg_home)


def _create_db(server_url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'create database "{name}"')
    conn.close()
    return with_dbname(server_url, name)


def _drop_db(server_url: str, url: str) -> None:
    name = dbname_of(url)
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
    conn.close()


def _settings_for(url: str, home: Path, monkeypatch) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PROJLEDGER_HOME", str(home))
    return load_settings()


@pytest.fixture
def settings(server_url: str, tmp_path: Path, monkeypatch) -> Iterator[Settings]:
    """Settings for a fresh, migrated database of its own (DATABASE_URL and PROJLEDGER_HOME
    are set in the environment too, for code and subprocesses that read them)."""
    url = _create_db(server_url)
    s = _settings_for(url, tmp_path / "home", monkeypatch)
    connect(s).close()
    yield s
    _drop_db(server_url, url)


@pytest.fixture(scope="module")
def module_db(server_url: str) -> Iterator[str]:
    """A database shared by the tests of one module (for expensive set-ups)."""
    url = _create_db(server_url)
    yield url
    _drop_db(server_url, url)


@pytest.fixture
def conn(settings: Settings):
    c = connect(settings)
    yield c
    c.close()
