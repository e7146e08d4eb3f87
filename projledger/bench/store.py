"""`projledger bench --store`: the event store's write path at a fixed size, each load beside a
plain COPY of the same file into a bare table on the same server (issue 13's rows):

- a tax CSV of N rows into an empty store;
- the same size of file into a store already holding about M events;
- an unchanged re-send of an N-row file (the same rows, one amount corrected, so that it is
  not a byte-identical duplicate);
- an N-row file whose every row is quarantined (its period names no month), and its twin
  loaded by a CLI process of its own, for its peak RSS;
- XLSX read rate on a registry snapshot (measured first).

Files are synthetic but valid (credit codes with their check character), so every row loads,
but for the file made to be quarantined.
"""

from __future__ import annotations

import csv
import os
import shutil
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from ingest.feeds.contracts import FEEDS
from ingest.identifiers import credit_check_char
from projledger.bench.measure import Progress, Stage, bare_copy_seconds, run_cli
from projledger.db import embedded

# The Chinese headers departments export, from the feed contracts.
TAX_HEADER = [column.zh for column in FEEDS["tax"].columns]
REGISTRY_HEADER = [column.zh for column in FEEDS["registry"].columns]
TAX_TYPES = ("增值税", "企业所得税", "个人所得税", "城市维护建设税", "房产税")
STREET = "320602001"
XLSX_READS = 5


def _credit(i: int) -> str:
    first17 = f"91320602MA{i:07d}"
    return first17 + credit_check_char(first17)


def write_tax(
    path: Path, rows: int, period: date, corrected_line: int | None = None, month: str = ""
) -> Path:
    """A month of tax rows: `rows` keys (enterprise x tax type) for `period`, its month written
    as `month` when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    paid = (period + timedelta(days=45)).isoformat()
    month = month or f"{period:%Y-%m}"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TAX_HEADER)
        for i in range(rows):
            enterprise, kind = divmod(i, len(TAX_TYPES))
            amount = "1,000.00" if i + 2 == corrected_line else f"{(i * 37) % 99991 + 0.5:.2f}"
            writer.writerow(
                [
                    _credit(enterprise),
                    f"企业{enterprise}",
                    month,
                    TAX_TYPES[kind],
                    amount,
                    paid,
                    STREET,
                    "紫琅科技园",
                ]
            )
    return path


def write_registry_xlsx(path: Path, rows: int) -> Path:
    from projledger.generate.writers import XlsxSheet

    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = XlsxSheet(path, len(REGISTRY_HEADER))
    sheet.append(REGISTRY_HEADER)
    for i in range(rows):
        sheet.append(
            [
                f"2024-320602-39-03-{i:06d}",
                f"项目{i}",
                _credit(i),
                STREET,
                "先进制造",
                "工业",
                "紫琅科技园",
                5000 + i % 1000,
                date(2025, 3, 1),
                date(2026, 12, 31),
                date(2027, 3, 1),
                date(2025, 1, 15),
                30,
            ]
        )
    sheet.close()
    return path


def _ingest(
    env: dict, url: str, results: list[Stage], name: str, path: Path, n: int, quarantined=False
) -> None:
    """Ingest one file from an inbox of its own (no other file hashed or skipped), timed in
    this process like the COPY beside it (a CLI process adds its start-up, about a second)."""
    import psycopg2

    from ingest.load import ingest_inbox
    from projledger.db.migrate import migrate

    conn = psycopg2.connect(url)
    migrate(conn)
    started = time.monotonic()
    [result] = ingest_inbox(conn, path.parent.parent, ["tax"])
    seconds = time.monotonic() - started
    conn.close()
    assert result.status == "loaded", result
    assert (result.rows_rejected if quarantined else result.rows_loaded) == n, result
    results.append(
        Stage(0, name, seconds, 0, n, copy_seconds=bare_copy_seconds(url, path, "utf-8"))
    )


def _settle(url: str) -> None:
    """Vacuum the store after the preload, as autovacuum does within minutes of a load: a store
    that has held its events for a while. Measured right away, the next loads shared the two
    cores with autovacuum's pass over the 10M new rows (seen in pg_stat_activity), and one of
    them took about 3 s longer in two runs of three."""
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("vacuum (analyze) ledger.event")
    conn.close()


def _xlsx_read_seconds(path: Path) -> float:
    from ingest.readers import xlsx_rows

    started = time.monotonic()
    _, rows = xlsx_rows(path)
    for _ in rows:
        pass
    return time.monotonic() - started


def _median(read, path: Path, reads: int = XLSX_READS) -> float:
    """The median of a few reads of the same file: one read of a fraction of a second swings
    with whatever else the machine does in that moment."""
    return statistics.median(read(path) for _ in range(reads))


def _openpyxl_read_seconds(path: Path) -> float:
    """The reader ingest used before calamine, on the same file: the yardstick."""
    from openpyxl import load_workbook

    started = time.monotonic()
    book = load_workbook(path, read_only=True, data_only=True)
    for _ in book.worksheets[0].iter_rows(values_only=True):
        pass
    book.close()
    return time.monotonic() - started


def bench_store(home: Path, rows: int, preload_files: int, registry_rows: int) -> list[Stage]:

    results: list[Stage] = Progress()
    inbox = home / "store-inbox"
    env = {**os.environ, "PROJLEDGER_HOME": str(home / "store-home")}
    env.pop("DATABASE_URL", None)
    shutil.rmtree(env["PROJLEDGER_HOME"], ignore_errors=True)
    shutil.rmtree(inbox, ignore_errors=True)
    url = embedded.url(embedded.start(Path(env["PROJLEDGER_HOME"])))

    # The XLSX reads first, on a quiet machine: after the loads below, autovacuum passes over
    # the millions of rows they wrote (seen a minute after a 1M-row load, for about 15 s).
    xlsx = write_registry_xlsx(inbox / "xlsx" / "registry" / "20260126.xlsx", registry_rows)
    results.append(
        Stage(
            0, "XLSX read, registry snapshot", _median(_xlsx_read_seconds, xlsx), 0, registry_rows
        )
    )
    results.append(
        Stage(
            0,
            "XLSX read by openpyxl (before)",
            _median(_openpyxl_read_seconds, xlsx),
            0,
            registry_rows,
        )
    )
    seconds, rss = run_cli(["ingest", "--inbox", str(inbox / "xlsx"), "--feed", "registry"], env)
    results.append(Stage(0, "ingest registry XLSX snapshot", seconds, rss, registry_rows))

    day = date(2026, 1, 20)

    first = write_tax(inbox / "empty" / "tax" / f"{day:%Y%m%d}.csv", rows, date(2025, 12, 1))
    _ingest(env, url, results, f"tax {rows:,} rows into an empty store", first, rows)

    # Fill the store (each file a month of its own: distinct keys, as a real history).
    for k in range(preload_files):
        month = date(2020 + k // 12, k % 12 + 1, 1)
        path = inbox / "preload" / "tax" / f"2025{k // 28 + 1:02d}{k % 28 + 1:02d}.csv"
        write_tax(path, rows, month)
    if preload_files:
        run_cli(["ingest", "--inbox", str(inbox / "preload"), "--feed", "tax"], env)
        _settle(url)
    held = (preload_files + 1) * rows

    day += timedelta(days=1)
    more = write_tax(inbox / "full" / "tax" / f"{day:%Y%m%d}.csv", rows, date(2026, 1, 1))
    _ingest(env, url, results, f"tax {rows:,} rows into a store of {held:,} events", more, rows)

    day += timedelta(days=1)
    resend = write_tax(
        inbox / "resend" / "tax" / f"{day:%Y%m%d}.csv",
        rows,
        date(2025, 12, 1),
        corrected_line=rows // 2,
    )
    _ingest(env, url, results, f"unchanged re-send of {rows:,} rows", resend, rows)

    day += timedelta(days=1)
    bad = write_tax(
        inbox / "bad" / "tax" / f"{day:%Y%m%d}.csv", rows, date(2026, 2, 1), month="2026-13"
    )
    _ingest(env, url, results, f"{rows:,} rows, every one quarantined", bad, rows, quarantined=True)
    # Its twin in a process of its own, for its peak RSS: the bad rows must not stay in memory.
    day += timedelta(days=1)
    write_tax(
        inbox / "bad-cli" / "tax" / f"{day:%Y%m%d}.csv",
        rows,
        date(2026, 2, 1),
        corrected_line=rows // 2,
        month="2026-13",
    )
    seconds, rss = run_cli(["ingest", "--inbox", str(inbox / "bad-cli"), "--feed", "tax"], env)
    results.append(Stage(0, "the same, in its own process", seconds, rss, rows))
    embedded.stop(Path(env["PROJLEDGER_HOME"]))
    return results
