"""Loading deliveries into the event store: one file, one batch, one transaction.

A batch is all or nothing: its events, quarantined rows and ledger row commit together, so a
crash mid-file leaves nothing and the next run loads the file whole. A file already seen is
skipped; the same content under another name is recorded once as a duplicate.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2.extras import Json

from ingest import batch_sql, readers
from ingest.feeds.contracts import FEED_NAMES, FEEDS, Feed
from ingest.inbox import Delivery, UnsafePath, discover, pinned
from projledger.db.locks import feed_lock

log = logging.getLogger(__name__)

_COPY_BUFFER = 1 << 20


@dataclass(frozen=True)
class BatchResult:
    feed: str
    file_name: str
    status: str  # loaded | duplicate | rejected | skipped (seen before)
    batch_id: int | None = None
    rows_total: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    events_added: int = 0
    reason: str | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_COPY_BUFFER), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_inbox(
    conn: psycopg2.extensions.connection,
    inbox: Path,
    feeds: list[str] | None = None,
    *,
    wait: bool = True,
    until: date | None = None,
) -> list[BatchResult]:
    """Load every new file of the inbox (optionally only some feeds, only those delivered
    by `until`), oldest first."""
    results: list[BatchResult] = []
    deliveries = discover(Path(inbox), feeds, until)
    for feed in feeds or FEED_NAMES:
        mine = [d for d in deliveries if d.feed == feed]
        if not mine:
            continue
        # No ANALYZE here: ingest never reads the store by key, and dbt analyzes the ledger
        # when a run starts (on-run-start), before any plan over it is made.
        with feed_lock(conn, feed, wait=wait):
            results.extend(load_from_inbox(conn, d) for d in mine)
    return results


# --- Unsafe paths (ingest/inbox.py) --------------------------------------------------------
# A delivery is read only through the file `pinned` opened safely; one that is not a regular
# file inside the inbox is never opened and is recorded as a rejected batch (`unsafe_path`),
# which reaches the department's digest through marts.fct_rejected_row.


def load_from_inbox(conn: psycopg2.extensions.connection, delivery: Delivery) -> BatchResult:
    try:
        with pinned(delivery) as safe:
            return load_delivery(conn, safe)
    except UnsafePath as unsafe:
        return _record_unsafe(conn, delivery, unsafe)


def _record_unsafe(conn, delivery: Delivery, unsafe: UnsafePath) -> BatchResult:
    log.error("%s rejected: %s", delivery.file_name, unsafe.detail)
    with conn.cursor() as cur:
        cur.execute(
            "select batch_id from ledger.batch where feed = %s and file_name = %s and sha256 = %s",
            (delivery.feed, delivery.file_name, unsafe.fingerprint),
        )
        seen = cur.fetchone()
        if seen is None:
            cur.execute(
                "insert into ledger.batch (feed, file_name, sha256, delivered_on, "
                "delivery_seq, status, reason, detail, file_format) "
                "values (%s, %s, %s, %s, %s, 'rejected', %s, %s, %s) returning batch_id",
                (
                    delivery.feed,
                    delivery.file_name,
                    unsafe.fingerprint,
                    delivery.delivered_on,
                    delivery.seq,
                    unsafe.reason,
                    unsafe.detail,
                    delivery.fmt or None,
                ),
            )
            batch_id = cur.fetchone()[0]
    conn.commit()
    if seen is not None:
        return BatchResult(
            delivery.feed, delivery.file_name, "skipped", seen[0], reason=unsafe.reason
        )
    return BatchResult(
        delivery.feed, delivery.file_name, "rejected", batch_id, reason=unsafe.reason
    )


# -------------------------------------------------------------------------------------------


def load_delivery(conn: psycopg2.extensions.connection, delivery: Delivery) -> BatchResult:
    """Load one file as one batch (the caller holds the feed's lock)."""
    sha = sha256_of(delivery.path)
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute(
            "select batch_id, status from ledger.batch where feed = %s and file_name = %s "
            "and sha256 = %s",
            (delivery.feed, delivery.file_name, sha),
        )
        if (seen := cur.fetchone()) is not None:
            conn.rollback()
            return BatchResult(
                delivery.feed, delivery.file_name, "skipped", seen[0], reason=seen[1]
            )
        original = _same_content(cur, FEEDS[delivery.feed], delivery, sha)
    if original is not None:
        return _record(
            conn,
            delivery,
            sha,
            "duplicate",
            duplicate_of=original[0],
            reason="duplicate",
            detail=f"same content as batch {original[0]}",
        )
    try:
        result = _load(conn, delivery, sha)
    except readers.FileRejected as rejected:
        conn.rollback()
        log.warning("%s rejected: %s", delivery.file_name, rejected)
        return _record(
            conn, delivery, sha, "rejected", reason=rejected.reason, detail=rejected.detail
        )
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return result


def _same_content(cur, feed: Feed, delivery: Delivery, sha: str) -> tuple[int] | None:
    """The loaded batch this file repeats, judged by delivery order, never by load order.
    Another feed's file repeats any earlier delivery of the same bytes (a later one loaded
    first does not count: the reader keeps the earliest). A snapshot repeats only the snapshot
    delivered just before it; one identical to an older snapshot is news (the set went back to
    that state), and it points at the batch that holds the rows."""
    order = (delivery.delivered_on, delivery.seq, delivery.file_name, sha)
    if feed.snapshot:
        cur.execute(
            "select sha256, coalesce(duplicate_of, batch_id) from ledger.batch "
            "where feed = %s and status in ('loaded', 'duplicate') "
            "and (delivered_on, delivery_seq, file_name, sha256) < (%s, %s, %s, %s) "
            "order by delivered_on desc, delivery_seq desc, file_name desc, sha256 desc "
            "limit 1",
            (feed.name, *order),
        )
        before = cur.fetchone()
        return (before[1],) if before and before[0] == sha else None
    cur.execute(
        "select batch_id from ledger.batch where feed = %s and sha256 = %s and status = 'loaded' "
        "and (delivered_on, delivery_seq, file_name) < (%s, %s, %s) "
        "order by delivered_on, delivery_seq, file_name limit 1",
        (feed.name, sha, *order[:3]),
    )
    return cur.fetchone()


def _record(conn, delivery: Delivery, sha: str, status: str, **fields) -> BatchResult:
    """A batch that loads no rows: a duplicate or a rejected file."""
    with conn.cursor() as cur:
        cur.execute(
            "insert into ledger.batch (feed, file_name, sha256, delivered_on, delivery_seq, "
            "status, reason, detail, file_format, duplicate_of, snapshot) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning batch_id",
            (
                delivery.feed,
                delivery.file_name,
                sha,
                delivery.delivered_on,
                delivery.seq,
                status,
                fields.get("reason"),
                fields.get("detail"),
                delivery.fmt,
                fields.get("duplicate_of"),
                FEEDS[delivery.feed].snapshot,
            ),
        )
        batch_id = cur.fetchone()[0]
    conn.commit()
    return BatchResult(
        delivery.feed, delivery.file_name, status, batch_id, reason=fields.get("reason")
    )


def _check_header(feed: Feed, header: list[str]) -> dict[str, int]:
    positions = batch_sql.map_header(feed, header)
    missing = batch_sql.missing_headers(feed, positions)
    if missing:
        raise readers.FileRejected(
            "missing_header", "required headers missing: " + ", ".join(missing)
        )
    return positions


def _load(conn, delivery: Delivery, sha: str) -> BatchResult:
    feed = FEEDS[delivery.feed]
    with conn.cursor() as cur:
        cur.execute("set local work_mem = '256MB'")  # sorts of a big batch stay in memory
        cur.execute("select nextval(pg_get_serial_sequence('ledger.batch', 'batch_id'))")
        batch_id = cur.fetchone()[0]
        if delivery.fmt == "csv":
            header, encoding = _copy_csv(cur, feed, delivery.path)
        else:
            reader = readers.xlsx_rows if delivery.fmt == "xlsx" else readers.jsonl_rows
            header, rows = reader(delivery.path)
            _check_header(feed, header)
            cur.execute(batch_sql.create_raw(len(header)))
            _copy_rows(cur, len(header), rows)
            encoding = "utf-8" if delivery.fmt == "jsonl" else None
        positions = _check_header(feed, header)
        params = {
            "batch_id": batch_id,
            "feed": feed.name,
            "delivered_on": delivery.delivered_on,
            "header": [h or f"column_{i + 1}" for i, h in enumerate(header)],
        }
        for statement in batch_sql.lookups(feed, positions):
            cur.execute(statement)
        cur.execute("select count(*) from _raw")
        rows_total = cur.fetchone()[0]
        cur.execute(batch_sql.load_rows(feed, header, positions), params)
        events = cur.rowcount
        rows_rejected = rows_total - events
        cur.execute(
            "insert into ledger.batch (batch_id, feed, file_name, sha256, delivered_on, "
            "delivery_seq, status, encoding, file_format, header, rows_total, rows_loaded, "
            "rows_rejected, events_added, snapshot) "
            "values (%s, %s, %s, %s, %s, %s, 'loaded', %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                batch_id,
                feed.name,
                delivery.file_name,
                sha,
                delivery.delivered_on,
                delivery.seq,
                encoding,
                delivery.fmt,
                Json(header),
                rows_total,
                rows_total - rows_rejected,
                rows_rejected,
                events,
                feed.snapshot,
            ),
        )
    log.info(
        "%s: %d rows, %d quarantined, %d events",
        delivery.file_name,
        rows_total,
        rows_rejected,
        events,
    )
    return BatchResult(
        feed.name,
        delivery.file_name,
        "loaded",
        batch_id,
        rows_total,
        rows_total - rows_rejected,
        rows_rejected,
        events,
    )


def _copy_csv(cur, feed: Feed, path: Path) -> tuple[list[str], str]:
    """COPY the file's bytes straight into _raw; fall back to Python's csv module for files
    COPY refuses (ragged rows), and from UTF-8 to GB18030 when the sniff guessed wrong."""
    layout = readers.csv_layout(path)
    _check_header(feed, layout.header)
    ncols = len(layout.header)
    cur.execute(batch_sql.create_raw(ncols))
    copy = cur.mogrify(
        "copy _raw ({}) from stdin with (format csv, encoding %s)".format(
            ", ".join(f"c{i}" for i in range(ncols))
        ),
        (layout.pg_encoding,),
    ).decode()
    for attempt in (layout, None):
        if attempt is None:  # second try: the other encoding
            other = "gb18030" if layout.codec == "utf-8" else "utf-8"
            try:
                attempt = readers.csv_layout(path, codec=other)
            except readers.FileRejected:
                break
            copy = copy.replace(layout.pg_encoding, attempt.pg_encoding)
        cur.execute("savepoint raw_copy")
        try:
            with open(path, "rb") as fh:
                fh.seek(attempt.data_offset)
                cur.copy_expert(copy, fh, size=_COPY_BUFFER)
            cur.execute("release savepoint raw_copy")
            return attempt.header, attempt.codec
        except psycopg2.errors.BadCopyFileFormat:
            cur.execute("rollback to savepoint raw_copy")
            _copy_rows(cur, ncols, readers.csv_rows(path, attempt))
            return attempt.header, attempt.codec
        except (psycopg2.errors.CharacterNotInRepertoire, psycopg2.errors.UntranslatableCharacter):
            cur.execute("rollback to savepoint raw_copy")
    raise readers.FileRejected("undecodable", "the file is neither valid UTF-8 nor GB18030/GBK")


class _RowStream:
    """Rows as COPY CSV, encoded a few thousand rows at a time by the C csv writer, so memory
    stays flat with file size and no cell passes through Python string escaping."""

    _ROWS_PER_CHUNK = 5000

    def __init__(self, ncols: int, rows: Iterator[readers.Row]):
        self._chunks = self._encode(ncols, rows)

    @classmethod
    def _encode(cls, ncols: int, rows: Iterator[readers.Row]) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        padding = [""] * ncols
        batch = []
        for line_no, values in rows:
            if len(values) == ncols:
                batch.append([line_no, *values, None])
            elif len(values) < ncols:
                batch.append([line_no, *(values + padding)[:ncols], None])
            else:  # cells beyond the header are kept with the row, never dropped silently
                surplus = json.dumps(values[ncols:], ensure_ascii=False)
                batch.append([line_no, *values[:ncols], surplus])
            if len(batch) == cls._ROWS_PER_CHUNK:
                writer.writerows(batch)
                batch.clear()
                yield cls._drain(buffer)
        writer.writerows(batch)
        yield cls._drain(buffer)

    @staticmethod
    def _drain(buffer: io.StringIO) -> bytes:
        data = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return data

    def read(self, size: int = -1) -> bytes:  # psycopg2 sends whatever one call returns
        return next(self._chunks, b"")


def _copy_rows(cur, ncols: int, rows: Iterator[readers.Row]) -> None:
    # In CSV an unquoted empty field is null: right for an absent surplus; the cells are
    # forced not null, so an empty cell stays an empty string as in a CSV delivery.
    cells = [f"c{i}" for i in range(ncols)]
    columns = ", ".join(["line_no", *cells, "surplus"])
    cur.copy_expert(
        f"copy _raw ({columns}) from stdin with (format csv, force_not_null ({', '.join(cells)}))",
        _RowStream(ncols, rows),
        size=_COPY_BUFFER,
    )
