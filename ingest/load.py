"""Loading deliveries into the event store: one file, one batch, one transaction.

A batch is all or nothing: its events, quarantined rows and ledger row commit together, so a
crash mid-file leaves nothing and the next run loads the file whole. A file already seen is
skipped; the same content under another name is recorded once as a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2.extras import Json

from ingest import binary_copy, checks, frames, headers, readers
from ingest.feeds.contracts import FEED_NAMES, FEEDS, Feed
from ingest.inbox import Delivery, UnsafePath, discover, pinned
from ingest.side import SideConnection
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
    positions = headers.map_header(feed, header)
    missing = headers.missing_headers(feed, positions)
    if missing:
        raise readers.FileRejected(
            "missing_header", "required headers missing: " + ", ".join(missing)
        )
    return positions


def _load(conn, delivery: Delivery, sha: str) -> BatchResult:
    feed = FEEDS[delivery.feed]
    with conn.cursor() as cur, tempfile.TemporaryDirectory(prefix="projledger-") as spill:
        cur.execute("select nextval(pg_get_serial_sequence('ledger.batch', 'batch_id'))")
        batch_id = cur.fetchone()[0]
        if delivery.fmt == "csv":
            attempts = frames.csv_attempts(delivery.path, Path(spill))
        else:
            attempts = iter([frames.other_cells(delivery.path, delivery.fmt, Path(spill))])
        for cells in attempts:
            positions = _check_header(feed, cells.header)
            cur.execute("savepoint body")
            try:
                written = _write(cur, feed, delivery, batch_id, cells, positions, Path(spill))
            except pl.exceptions.ComputeError as refused:  # the next way of reading the file
                log.info("%s: %s; reading it another way", delivery.file_name, refused)
                cur.execute("rollback to savepoint body")
                continue
            cur.execute("release savepoint body")
            break
        else:
            raise readers.FileRejected("unparseable", "the file could not be read")
        rows_total, events, quarantine = written
        rows_rejected = rows_total - events
        # The batch's row first: its quarantined rows name it (migration 021).
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
                cells.encoding,
                delivery.fmt,
                Json(cells.header),
                rows_total,
                rows_total - rows_rejected,
                rows_rejected,
                events,
                feed.snapshot,
            ),
        )
        if rows_rejected:
            _quarantine(cur, quarantine)
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


def _write(
    cur, feed: Feed, delivery: Delivery, batch_id: int, cells, positions, spill: Path
) -> tuple[int, int, Path]:
    """Check every row and append the good ones as facts with one COPY, streamed while the
    next rows are checked. Returns (rows, facts, the file of the bad rows as quarantined)."""
    side = SideConnection(cur.connection)
    parsed = checks.ParsedValues(feed, positions, side.parse)

    def checked() -> Iterator[pl.DataFrame]:
        for chunk in cells.chunks():
            trimmed = checks.trimmed_frame(feed, positions, chunk)
            yield checks.checked_frame(feed, cells.header, positions, trimmed, parsed)

    # Every good row is a fact: an upsert with its typed values in the columns named for
    # them, or a retraction (its key's values only). Nothing is compared with the store here;
    # what changed is derived when reading as of a date, so the result never depends on the
    # order files were loaded in.
    encoder = binary_copy.FactEncoder(feed)
    columns = encoder.columns
    facts = [
        pl.lit(feed.name).alias("feed"),
        pl.lit(batch_id).alias("batch_id"),
        pl.lit(delivery.delivered_on.isoformat()).alias("delivered_on"),
        "line_no",
        "natural_key",
        pl.when(pl.col("is_retract"))
        .then(pl.lit("retract"))
        .otherwise(pl.lit("upsert"))
        .alias("op"),
        *[col.name for col in feed.columns],
        "extra",
    ]
    quarantine = spill / "quarantine.csv"
    stream = _FactStream(
        feed, batch_id, checked(), facts, cells.header, quarantine, encoder, side.event_ids
    )
    try:
        cur.copy_expert(
            f"copy {_partition(cur, feed)} ({', '.join(columns)}) from stdin with (format binary)",
            stream,
            size=_COPY_BUFFER,
        )
    except psycopg2.errors.QueryCanceled:
        if stream.failure is not None:  # psycopg2 reports a failed read() as a cancel
            raise stream.failure from None
        raise
    finally:
        stream.close()
        side.close()
    if cur.rowcount != stream.facts:  # a stream cut short ends the COPY without an error
        raise RuntimeError(f"the store took {cur.rowcount} of {stream.facts} facts")
    return stream.rows, stream.facts, quarantine


def _quarantine(cur, quarantine: Path) -> None:
    with open(quarantine, "rb") as rows:
        cur.copy_expert(
            "copy ledger.rejected_row (batch_id, feed, line_no, reason, detail, raw, natural_key) "
            "from stdin with (format csv)",
            rows,
            size=_COPY_BUFFER,
        )


def _partition(cur, feed: Feed) -> str:
    """The feed's partition of ledger.event, found by its bound: a COPY into it skips routing
    each row through the parent (a quarter of the server's time for a tax file), and the
    partition still checks that every row is the feed's."""
    cur.execute(
        "select c.oid::regclass::text from pg_inherits as i "
        "join pg_class as c on c.oid = i.inhrelid "
        "where i.inhparent = 'ledger.event'::regclass "
        "and pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES IN (%%L)', %s::text)",
        (feed.name,),
    )
    found = cur.fetchone()
    return found[0] if found else "ledger.event"


class _FactStream:
    """The good rows of checked chunks as one binary COPY stream (ingest/binary_copy.py); a
    thread reads, checks and encodes the next chunk while PostgreSQL writes this one (polars
    works outside the GIL). Bad rows are written aside
    as the quarantine's COPY CSV, in line order, to a file: memory stays flat however many
    rows are bad."""

    def __init__(
        self,
        feed: Feed,
        batch_id: int,
        checked: Iterator[pl.DataFrame],
        facts: list,
        header: list[str],
        quarantine: Path,
        encoder: binary_copy.FactEncoder,
        event_ids: Callable[[int], np.ndarray],
    ):
        self._feed = feed
        self._encoder = encoder
        self._event_ids = event_ids
        self._batch_id = batch_id
        self._quarantine = quarantine
        self.rows = 0
        self.facts = 0
        self.failure: BaseException | None = None
        self._chunks: queue.Queue = queue.Queue(maxsize=2)
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._produce, args=(checked, facts, header), daemon=True
        )
        self._thread.start()

    def _produce(self, checked: Iterator[pl.DataFrame], facts: list, header: list[str]) -> None:
        try:
            with open(self._quarantine, "wb") as quarantine:
                self._check(checked, facts, header, quarantine)
        except BaseException as exc:  # raised again in the reading thread
            self._put(exc)

    def _check(self, checked, facts: list, header: list[str], quarantine) -> None:
        if not self._put(self._encoder.header()):
            return
        for chunk in checked:
            self.rows += chunk.height
            problem = pl.col("problem").is_not_null()
            bad = chunk.filter(problem)
            if bad.height:
                rejected = checks.quarantined(self._feed, header, bad)
                rejected.select(
                    pl.lit(self._batch_id).alias("batch_id"),
                    pl.lit(self._feed.name).alias("feed"),
                    pl.all(),
                ).write_csv(quarantine, include_header=False)
            good = chunk.filter(~problem)
            self.facts += good.height
            encoded = (
                self._encoder.encode(
                    good.select(pl.Series("event_id", self._event_ids(good.height)), *facts)
                )
                if good.height
                else b""
            )
            if encoded and not self._put(encoded):  # b"" would end the COPY
                return
        if self._put(self._encoder.trailer()):
            self._put(b"")

    def _put(self, item) -> bool:
        while not self._closed.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read(self, size: int = -1) -> bytes:  # psycopg2 sends whatever one call returns
        item = self._chunks.get()
        if isinstance(item, BaseException):
            self.failure = item
            raise item
        return item

    def close(self) -> None:
        self._closed.set()
        self._thread.join()
