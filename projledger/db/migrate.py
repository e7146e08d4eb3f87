"""Versioned schema migrations: projledger/db/migrations/NNN_name.sql, each applied once, in order,
recorded in ledger.schema_migration; all pending ones commit together or not at all."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg2.extensions

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_KEY = 7_202_611  # advisory lock: one migrator at a time


def pending(conn: psycopg2.extensions.connection) -> list[Path]:
    with conn.cursor() as cur:
        cur.execute("select to_regclass('ledger.schema_migration') is not null")
        if not cur.fetchone()[0]:
            done: set[str] = set()
        else:
            cur.execute("select version from ledger.schema_migration")
            done = {row[0] for row in cur.fetchall()}
    return [p for p in sorted(MIGRATIONS_DIR.glob("*.sql")) if p.stem not in done]


def migrate(conn: psycopg2.extensions.connection) -> list[str]:
    """Apply every pending migration; returns the versions applied."""
    was_autocommit = conn.autocommit
    conn.autocommit = False
    applied = []
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur.execute(
                "create schema if not exists ledger;"
                "create table if not exists ledger.schema_migration ("
                " version text primary key, applied_at timestamptz not null default now())"
            )
            for path in pending(conn):
                log.info("applying migration %s", path.name)
                cur.execute(path.read_text())
                cur.execute(
                    "insert into ledger.schema_migration (version) values (%s)", (path.stem,)
                )
                applied.append(path.stem)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.autocommit = was_autocommit
    return applied
