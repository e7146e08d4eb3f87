"""What the benchmark measures with: a stage's figures, one CLI process timed (wall seconds,
peak RSS), and the plain COPY of the same file into a bare table beside it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2


@dataclass
class Stage:
    scale: float
    stage: str
    seconds: float
    peak_rss_mb: float
    rows: int | None = None
    copy_seconds: float | None = None
    dlt_seconds: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.copy_seconds if self.copy_seconds else None


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one CLI process."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "projledger.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"projledger {' '.join(args)} failed: {proc.stderr.read()}")
    return seconds, usage.ru_maxrss / 1024


def bare_copy_seconds(url: str, path: Path, encoding: str) -> float:
    """A plain COPY of the same file into a bare table of text columns: the physical limit."""
    with open(path, "rb") as fh:
        header = fh.readline()
    ncols = len(next(csv.reader([header.decode(encoding, "replace")])))
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("drop table if exists bench_bare")
        cur.execute(
            "create table bench_bare (" + ", ".join(f"c{i} text" for i in range(ncols)) + ")"
        )
        conn.commit()
        started = time.monotonic()
        with open(path, "rb") as fh:
            fh.readline()
            cur.copy_expert(
                f"copy bench_bare from stdin with (format csv, encoding "
                f"'{'GB18030' if encoding != 'utf-8' else 'UTF8'}')",
                fh,
                size=1 << 20,
            )
        conn.commit()
        seconds = time.monotonic() - started
        cur.execute("drop table bench_bare")
    conn.commit()
    conn.close()
    return seconds


class Progress(list):
    """The results, each also printed as it is measured (a province run takes a while)."""

    def append(self, stage: Stage) -> None:
        super().append(stage)
        print(f"  scale {stage.scale:g}: {stage.stage} {stage.seconds:.1f}s", flush=True)
