"""Per-feed ingest locks (two ingests at once never load the same file twice) and the warehouse
lock and lease (one rebuild of the warehouse at a time).

A PostgreSQL advisory lock, so it holds across processes and machines that share the
database, and is released by the server if the holder dies (even by kill -9).
"""

from __future__ import annotations

import logging
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2.extensions

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 7_202_612
WAREHOUSE_LOCK = (7_202_613, 1)
# A night takes minutes; a lease still held after this long belongs to a holder that died
# without its teardown (a scheduler killed mid-run).
LEASE_HOURS = 4
WAIT_SECONDS = 5


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


def _live_lease(cur) -> tuple[str, str, object] | None:
    """(token, holder, taken_at) of the unexpired warehouse lease, if any."""
    cur.execute("delete from ledger.warehouse_lease where expires_at < now()")
    cur.execute("select token, holder, taken_at from ledger.warehouse_lease")
    return cur.fetchone()


@contextmanager
def warehouse_lock(settings, lease: str | None = None) -> Iterator[None]:
    """One warehouse step at a time (build, grants, checks, digests): two runs of the same
    night, from Airflow or the command line, never swap the same tables or send a digest
    twice. Held on a connection of its own, released when the step ends or its process dies.
    Waits too while another holder has the warehouse lease; `lease` names one's own."""
    from projledger.db import connect

    conn = connect(settings, autocommit=True)
    try:
        with conn.cursor() as cur:
            while True:
                cur.execute("select pg_advisory_lock(%s, %s)", WAREHOUSE_LOCK)
                held = _live_lease(cur)
                if held is None or held[0] == lease:
                    break
                cur.execute("select pg_advisory_unlock(%s, %s)", WAREHOUSE_LOCK)
                log.warning("the warehouse is leased by %s since %s; waiting", held[1], held[2])
                time.sleep(WAIT_SECONDS)
        yield
    finally:
        conn.close()


def take_warehouse_lease(settings, holder: str) -> str:
    """Wait until no step holds the warehouse lock and no one else its lease, then take the
    lease for `holder`; returns the token that gives it back (release_warehouse_lease)."""
    from projledger.db import connect

    token = uuid.uuid4().hex
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            while True:
                cur.execute("select pg_advisory_xact_lock(%s, %s)", WAREHOUSE_LOCK)
                held = _live_lease(cur)
                if held is None:
                    cur.execute(
                        "insert into ledger.warehouse_lease (token, holder, expires_at)"
                        " values (%s, %s, now() + make_interval(hours => %s))",
                        (token, holder, LEASE_HOURS),
                    )
                    conn.commit()
                    return token
                conn.commit()
                log.warning("the warehouse is leased by %s since %s; waiting", held[1], held[2])
                time.sleep(WAIT_SECONDS)
    finally:
        conn.close()


def release_warehouse_lease(settings, token: str) -> bool:
    """Give the lease back; False when it was no longer held under this token."""
    from projledger.db import connect

    conn = connect(settings, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("delete from ledger.warehouse_lease where token = %s", (token,))
            return cur.rowcount == 1
    finally:
        conn.close()
