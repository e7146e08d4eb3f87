"""Database access: which server, connections, and the versioned schema migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import psycopg2
import psycopg2.extensions

from projledger.db import embedded
from projledger.db.migrate import migrate

if TYPE_CHECKING:
    from projledger.settings import Settings

__all__ = ["connect", "database_url", "dbt_env", "migrate"]

_migrated: set[str] = set()


def database_url(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise the embedded server, started on demand."""
    if settings.database_url_override:
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


def url_parts(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": str(parsed.port or 5432),
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
        "dbname": parsed.path.lstrip("/") or "postgres",
    }


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment dbt's profile reads (dbt_project/profiles.yml)."""
    parts = url_parts(database_url(settings))
    return {f"PROJLEDGER_PG_{key.upper()}": value for key, value in parts.items()}
