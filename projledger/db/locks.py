"""Per-feed ingest locks: two ingests at once never load the same file twice.

A PostgreSQL advisory lock, so it holds across processes and machines that share the
database, and is released by the server if the holder dies (even by kill -9).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2.extensions

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 7_202_612
WAREHOUSE_LOCK = (7_202_613, 1)


class IngestLocked(RuntimeError):
    pass


def _holder(cur, key: int) -> str:
    cur.execute(
        "select a.pid, a.application_name, a.client_addr, a.backend_start "
        "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        "where l.locktype = 'advisory' and l.classid = %s and l.objid = %s and l.granted",
        (LOCK_NAMESPACE, key),
    )
    row = cur.fetchone()
    if row is None:
        return "another session"
    pid, app, addr, since = row
    origin = f" from {addr}" if addr else ""
    return f"pid {pid} ({app or 'unknown'}{origin}, since {since:%H:%M:%S})"


def feed_lock_key(feed: str) -> int:
    """A stable advisory-lock key per feed name (31 bits: PostgreSQL's int4 key)."""
    return zlib.crc32(feed.encode()) & 0x7FFFFFFF


@contextmanager
def feed_lock(conn: psycopg2.extensions.connection, feed: str, *, wait: bool = True):
    key = feed_lock_key(feed)
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, key))
        if not cur.fetchone()[0]:
            holder = _holder(cur, key)
            conn.commit()
            if not wait:
                raise IngestLocked(
                    f"feed {feed!r} is being ingested by {holder}; try again when it finishes"
                )
            log.warning("feed %s is being ingested by %s; waiting for it to finish", feed, holder)
            cur.execute("select pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, key))
        conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, key))
        conn.commit()


@contextmanager
def warehouse_lock(settings) -> Iterator[None]:
    """One warehouse step at a time (build, grants, checks, digests): two runs of the same
    night, from Airflow or the command line, never swap the same tables or send a digest
    twice. Held on a connection of its own, released when the step ends or its process dies."""
    from projledger.db import connect

    conn = connect(settings, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_lock(%s, %s)", WAREHOUSE_LOCK)
        yield
    finally:
        conn.close()
