"""Database access: which server, connections, and the versioned schema migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg2
import psycopg2.extensions

from projledger.db import embedded
from projledger.db.conninfo import DatabaseUrlError, Target, check, resolve
from projledger.db.migrate import migrate

if TYPE_CHECKING:
    from projledger.settings import Settings

__all__ = [
    "DatabaseUrlError",
    "connect",
    "database_url",
    "dbt_env",
    "migrate",
    "sqlalchemy_url",
    "target",
]

_migrated: set[str] = set()


def database_url(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise the embedded server, started on demand."""
    if settings.database_url_override:
        # Checked before any layer uses it: a URL one layer cannot take stops here.
        check(settings.database_url_override)
        return settings.database_url_override
    return embedded.url(embedded.start(settings.home))


def connect(settings: Settings, *, autocommit: bool = False) -> psycopg2.extensions.connection:
    """A connection to the warehouse database, its schema migrated to the latest version."""
    url = database_url(settings)
    conn = psycopg2.connect(url, application_name="projledger")
    if url not in _migrated:
        migrate(conn)
        _migrated.add(url)
    conn.autocommit = autocommit
    return conn


def target(settings: Settings) -> Target:
    """The server and database every layer reaches, as libpq resolves DATABASE_URL."""
    return resolve(database_url(settings))


def url_parts(url: str) -> dict[str, str]:
    """The effective connection parameters of `url` (libpq's resolution, one connection)."""
    t = resolve(url)
    return {
        "host": t.host,
        "port": str(t.port),
        "user": t.user,
        "password": t.password,
        "dbname": t.dbname,
    }


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment dbt's profile reads (dbt_project/profiles.yml)."""
    return target(settings).dbt_env()


def sqlalchemy_url(settings: Settings, dbname: str | None = None, application: str = "") -> str:
    """The warehouse (or another database on its server) as a SQLAlchemy URL."""
    return target(settings).sqlalchemy_url(dbname, application or None)
