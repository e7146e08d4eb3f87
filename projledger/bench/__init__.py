"""`make bench`: ingest and night timings against a plain COPY measured in the same run.

Every stage runs as its own process (the `projledger` CLI), so its wall time and peak RSS
are its own. Results are printed as tables and written to $PROJLEDGER_HOME/bench/.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import psycopg2

from ingest.inbox import discover
from projledger.bench.measure import Progress, Stage, bare_copy_seconds, run_cli
from projledger.db import embedded
from projledger.report import table
from projledger.settings import load_settings

AS_OF = date(2026, 11, 24)
QUICK_SCALES = (1.0, 10.0)
FULL_SCALES = (1.0, 10.0, 100.0)
DLT_MAX_SCALE = 10.0
DLT_FEED = "tax"  # the yardstick where it matters: the largest feed (one process per file)


def _dlt_seconds(url: str, path: Path, encoding: str) -> float | None:
    """The same file loaded by dlt (optional `bench` extra), as a second yardstick. In a
    process of its own: dlt is heavy, and a child inherits its parent's peak RSS."""
    if importlib.util.find_spec("dlt") is None:
        return None
    proc = subprocess.run(
        [sys.executable, "-m", "projledger.bench.dlt_yardstick", url, str(path), encoding],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(proc.stdout.strip().splitlines()[-1])


def _csv_encoding(path: Path) -> str:
    from ingest.readers import sniff_encoding

    with open(path, "rb") as fh:
        return sniff_encoding(fh.read(1 << 20))[0]


def bench_scale(scale: float, home: Path, results: list[Stage]) -> None:
    inbox = home / f"inbox-{scale:g}"
    env = {**os.environ, "PROJLEDGER_HOME": str(home / f"home-{scale:g}")}
    env.pop("DATABASE_URL", None)
    shutil.rmtree(env["PROJLEDGER_HOME"], ignore_errors=True)
    shutil.rmtree(inbox, ignore_errors=True)
    months = 14 if scale <= 10 else 3
    seconds, rss = run_cli(
        [
            "generate",
            "--out",
            str(inbox),
            "--scale",
            str(scale),
            "--as-of",
            AS_OF.isoformat(),
            "--months",
            str(months),
        ],
        env,
    )
    results.append(Stage(scale, "generate", seconds, rss))
    url = embedded.url(embedded.start(Path(env["PROJLEDGER_HOME"])))

    # Ingest, feed by feed, beside a plain COPY of that feed's largest CSV file.
    deliveries = discover(inbox)
    for feed in sorted({d.feed for d in deliveries}):
        files = [d for d in deliveries if d.feed == feed]
        seconds, rss = run_cli(["ingest", "--inbox", str(inbox), "--feed", feed], env)
        rows = _rows_loaded(url, feed)
        stage = Stage(scale, f"ingest {feed}", seconds, rss, rows)
        csvs = [d.path for d in files if d.fmt == "csv"]
        if csvs and len(csvs) == len(files):
            stage.copy_seconds = sum(bare_copy_seconds(url, p, _csv_encoding(p)) for p in csvs)
            # dlt needs many minutes for a province's tax files
            if feed == DLT_FEED and scale <= DLT_MAX_SCALE:
                stage.dlt_seconds = _sum_or_none(
                    _dlt_seconds(url, p, _csv_encoding(p)) for p in csvs
                )
        results.append(stage)

    as_of = AS_OF.isoformat()
    for name, args in (
        ("dbt build", ["build", "--as-of", as_of]),
        ("checks", ["checks", "--as-of", as_of]),
        ("alerts", ["alerts", "send", "--as-of", as_of]),
    ):
        seconds, rss = run_cli(args, env)
        results.append(Stage(scale, name, seconds, rss))

    # The next two nights, each with a new day of deliveries (about 1 % of a month of tax rows
    # changed). The first follows the full build at once, on the tables it has just written;
    # the second is a night like any later one.
    month = sorted((inbox / "tax").glob("*.csv"))[-1]
    for night, name in enumerate(("incremental night", "incremental night, the next"), start=1):
        day = AS_OF + timedelta(days=night)
        _next_day_delivery(inbox, day, month, night)
        seconds, rss = run_cli(["run", "--inbox", str(inbox), "--as-of", day.isoformat()], env)
        results.append(Stage(scale, name, seconds, rss))

    seconds, rss = run_cli(["build", "--as-of", as_of, "--full-refresh"], env)
    results.append(Stage(scale, "replay (full refresh)", seconds, rss))
    embedded.stop(Path(env["PROJLEDGER_HOME"]))


def _sum_or_none(values) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _rows_loaded(url: str, feed: str) -> int:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute(
            "select coalesce(sum(rows_total), 0) from ledger.batch where feed = %s", (feed,)
        )
        rows = cur.fetchone()[0]
    conn.close()
    return rows


def _next_day_delivery(inbox: Path, day: date, month: Path, night: int) -> None:
    """Re-send 1 % of a month's tax rows (another 1 % each night) with changed amounts, as the
    file of `day`."""
    encoding = _csv_encoding(month)
    with open(month, encoding=encoding, newline="") as src:
        reader = csv.reader(src)
        header = next(reader)
        amount = next(i for i, h in enumerate(header) if h in ("实缴税额(元)", "amount_yuan"))
        rows = [row for i, row in enumerate(reader) if i % 100 == night]
    for row in rows:
        row[amount] = f"{1000 * night:,}.00"
    with open(inbox / "tax" / f"{day:%Y%m%d}.csv", "w", encoding=encoding, newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(header)
        writer.writerows(rows)


def render(results: list[Stage]) -> str:
    rows = []
    for s in results:
        rows.append(
            [
                f"{s.scale:g}",
                s.stage,
                f"{s.seconds:.1f}",
                f"{s.rows:,}" if s.rows else "",
                f"{s.rows / s.seconds:,.0f}" if s.rows else "",
                f"{s.copy_seconds:.2f}" if s.copy_seconds else "",
                f"{s.ratio:.1f}x" if s.ratio else "",
                f"{s.dlt_seconds / s.seconds:.1f}x" if s.dlt_seconds else "",
                f"{s.peak_rss_mb:.0f}",
            ]
        )
    return table(
        [
            "scale",
            "stage",
            "seconds",
            "rows",
            "rows/s",
            "COPY s",
            "vs COPY",
            "dlt/ours",
            "peak RSS MB",
        ],
        rows,
    )


def main(
    quick: bool = False,
    scales: list[float] | None = None,
    store: bool = False,
    rows: int = 1_000_000,
    preload_files: int = 10,
    registry_rows: int = 20_000,
    alerts: bool = False,
    owners: int = 30,
    open_items: int = 200,
) -> int:
    settings = load_settings()
    home = settings.home / "bench"
    home.mkdir(parents=True, exist_ok=True)
    results: list[Stage] = Progress()
    if store:
        from projledger.bench.store import bench_store

        results.extend(bench_store(home, rows, preload_files, registry_rows))
        print(render(results), flush=True)
        print()
    if alerts:
        from projledger.bench.history import bench_history

        results.extend(bench_history(home, owners, open_items))
        print(render(results), flush=True)
        print()
    for scale in () if store or alerts else scales or (QUICK_SCALES if quick else FULL_SCALES):
        bench_scale(scale, home, results)
        print(render([r for r in results if r.scale == scale]), flush=True)
        print()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    out = home / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": machine,
                "results": [{**asdict(r), "ratio_vs_copy": r.ratio} for r in results],
            },
            indent=2,
        )
    )
    print(f"written to {out}")
    return 0
