"""Nothing outside the inbox is ever read (feeds.md, "What bad input gets"): a path in the
inbox that is not a regular file inside it (a symlink, even to a file inside; a FIFO; a
device; a linked folder) is never opened, and is recorded as a rejected batch `unsafe_path`."""

from __future__ import annotations

import os
import shutil
import signal
import stat
from contextlib import contextmanager

import pytest

from ingest.inbox import discover
from ingest.load import ingest_inbox
from tests.integration.feedfiles import credit, write_csv
from tests.integration.test_ingest import STREET, TAX_EN, q

SECRET = "机密-不应入库"


def _tax_file(path, taxpayer: str = "甲公司"):
    return write_csv(
        path, TAX_EN, [[credit(1), taxpayer, "2026-09", "增值税", "100", "", STREET, ""]]
    )


@contextmanager
def _no_hang(seconds: int = 20):
    def fail(*_):
        raise TimeoutError("ingest hung on the inbox")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _batches(conn):
    return q(
        conn,
        "select file_name, status, reason, rows_total, header from ledger.batch order by 1",
    )


def _nothing_read(conn):
    assert q(conn, "select count(*) from ledger.event") == [(0,)]
    assert q(conn, "select count(*) from ledger.rejected_row") == [(0,)]
    assert SECRET not in str(q(conn, "select * from ledger.batch"))


def test_a_symlink_to_a_file_outside_the_inbox_is_never_read(conn, tmp_path):
    inbox = tmp_path / "inbox"
    outside = _tax_file(tmp_path / "elsewhere" / "secret.csv", taxpayer=SECRET)
    (inbox / "tax").mkdir(parents=True)
    (inbox / "tax" / "20261020.csv").symlink_to(outside)

    [result] = ingest_inbox(conn, inbox)

    assert (result.status, result.reason) == ("rejected", "unsafe_path")
    assert _batches(conn) == [("tax/20261020.csv", "rejected", "unsafe_path", 0, None)]
    _nothing_read(conn)
    # Recorded once: the next night skips it, as any file seen before.
    assert [r.status for r in ingest_inbox(conn, inbox)] == ["skipped"]
    assert len(_batches(conn)) == 1


def test_a_symlink_to_a_file_inside_the_inbox_is_still_not_a_delivery(conn, tmp_path):
    inbox = tmp_path / "inbox"
    real = _tax_file(inbox / "tax" / "20261020.csv")
    (inbox / "tax" / "20261021.csv").symlink_to(real)

    results = ingest_inbox(conn, inbox)

    assert [(r.file_name, r.status, r.reason) for r in results] == [
        ("tax/20261020.csv", "loaded", None),
        ("tax/20261021.csv", "rejected", "unsafe_path"),
    ]
    assert q(conn, "select count(*) from ledger.event") == [(1,)]


def test_a_fifo_is_rejected_without_hanging(conn, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "tax").mkdir(parents=True)
    os.mkfifo(inbox / "tax" / "20261020.csv")
    with _no_hang():
        [result] = ingest_inbox(conn, inbox)
    assert (result.status, result.reason) == ("rejected", "unsafe_path")
    _nothing_read(conn)


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_a_device_is_rejected(conn, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "tax").mkdir(parents=True)
    os.mknod(inbox / "tax" / "20261020.csv", stat.S_IFCHR | 0o644, os.makedev(1, 8))  # random
    with _no_hang():
        [result] = ingest_inbox(conn, inbox)
    assert (result.status, result.reason) == ("rejected", "unsafe_path")
    _nothing_read(conn)


def test_a_linked_feed_folder_is_never_read(conn, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _tax_file(tmp_path / "elsewhere" / "20261020.csv", taxpayer=SECRET)
    (inbox / "tax").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    results = ingest_inbox(conn, inbox, until=__import__("datetime").date(2026, 10, 21))

    assert [(r.file_name, r.status, r.reason) for r in results] == [
        ("tax/", "rejected", "unsafe_path")
    ]
    _nothing_read(conn)
    assert q(conn, "select delivered_on::text from ledger.batch") == [("2026-10-21",)]


def test_a_linked_folder_named_as_a_delivery_is_never_read(conn, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "tax").mkdir(parents=True)
    _tax_file(tmp_path / "elsewhere" / "x.csv", taxpayer=SECRET)
    (inbox / "tax" / "20261020.csv").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    [result] = ingest_inbox(conn, inbox)
    assert (result.file_name, result.status, result.reason) == (
        "tax/20261020.csv",
        "rejected",
        "unsafe_path",
    )
    _nothing_read(conn)


def test_a_file_swapped_for_a_symlink_after_discovery_is_not_opened(conn, tmp_path):
    """The check and the read are one: the file is opened once without following links, and
    every later read goes through that open file."""
    from ingest import load

    inbox = tmp_path / "inbox"
    path = _tax_file(inbox / "tax" / "20261020.csv")
    outside = _tax_file(tmp_path / "elsewhere" / "secret.csv", taxpayer=SECRET)
    [delivery] = discover(inbox)
    path.unlink()
    path.symlink_to(outside)

    result = load.load_from_inbox(conn, delivery)

    assert (result.status, result.reason) == ("rejected", "unsafe_path")
    _nothing_read(conn)


def test_a_regular_file_swapped_after_it_was_opened_loads_what_was_opened(conn, tmp_path):
    from ingest import inbox as inbox_mod
    from ingest import load

    inbox = tmp_path / "inbox"
    path = _tax_file(inbox / "tax" / "20261020.csv")
    outside = _tax_file(tmp_path / "elsewhere" / "secret.csv", taxpayer=SECRET)
    [delivery] = discover(inbox)
    with inbox_mod.pinned(delivery) as safe:
        path.rename(tmp_path / "moved.csv")
        path.symlink_to(outside)
        result = load.load_delivery(conn, safe)
    assert result.status == "loaded" and result.file_name == "tax/20261020.csv"
    assert SECRET not in str(q(conn, "select e::text from ledger.event as e"))
    shutil.rmtree(tmp_path / "elsewhere")
