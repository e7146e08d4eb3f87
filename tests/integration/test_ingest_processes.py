"""Real ingest processes: killed mid-batch, and two at once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from projledger.db import connect
from projledger.db.locks import LOCK_NAMESPACE, feed_lock
from tests.integration.feedfiles import credit

REPO = Path(__file__).resolve().parents[2]
ROWS = 300_000


def big_tax_file(inbox: Path, day: str = "20261020", rows: int = ROWS) -> Path:
    path = inbox / "tax" / f"{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    codes = [credit(i) for i in range(1000)]
    with open(path, "w", encoding="gb18030") as fh:
        fh.write("纳税人识别号,纳税人名称,税款所属期,税种,实缴税额(元),入库日期,所属街道,载体\n")
        for i in range(rows):
            fh.write(
                f"{codes[i % 1000]},企业{i},2026-09,税种{i // 1000},{i}.5,2026-10-15,320602001,\n"
            )
    return path


def start_ingest(inbox: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "projledger.cli", "ingest", "--inbox", str(inbox)],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_loading(settings, timeout: float = 60) -> None:
    """Until a backend of an ingest process is inside a batch's transaction."""
    conn = connect(settings, autocommit=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                cur.execute(
                    "select count(*) from pg_stat_activity where application_name = "
                    "'projledger' and state = 'active' "
                    "and query ilike 'copy ledger.event%%'"
                )
                if cur.fetchone()[0]:
                    return
            time.sleep(0.05)
        raise AssertionError("the ingest never started loading")
    finally:
        conn.close()


def counts(settings) -> tuple[int, int, int]:
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "select (select count(*) from ledger.batch), (select count(*) from ledger.event),"
            " (select count(*) from ledger.rejected_row)"
        )
        row = cur.fetchone()
    conn.close()
    return row


def test_kill_9_mid_batch_leaves_nothing_and_the_next_run_loads_it_whole(settings, tmp_path):
    inbox = tmp_path / "inbox"
    big_tax_file(inbox)
    proc = start_ingest(inbox)
    wait_until_loading(settings)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)
    assert counts(settings) == (0, 0, 0)

    rerun = start_ingest(inbox)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert counts(settings) == (1, ROWS, 0)


def _waiting_for_lock(settings, n: int, timeout: float = 60) -> None:
    conn = connect(settings, autocommit=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                cur.execute(
                    "select count(*) from pg_locks where locktype = 'advisory' "
                    "and classid = %s and not granted",
                    (LOCK_NAMESPACE,),
                )
                if cur.fetchone()[0] >= n:
                    return
            time.sleep(0.05)
        raise AssertionError(f"{n} ingests never queued on the lock")
    finally:
        conn.close()


def test_two_ingests_at_once_load_everything_once(settings, tmp_path):
    inbox = tmp_path / "inbox"
    big_tax_file(inbox, "20261020", rows=20_000)
    big_tax_file(inbox, "20261120", rows=1000)
    holder = connect(settings)
    with feed_lock(holder, "tax"):  # a third ingest is busy with the tax feed
        first, second = start_ingest(inbox), start_ingest(inbox)
        _waiting_for_lock(settings, 2)
    out1, err1 = first.communicate(timeout=300)
    out2, err2 = second.communicate(timeout=300)
    holder.close()
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert "is being ingested by pid" in err1 and "waiting" in err1
    statuses = sorted(len(re.findall(r"^\S+\s+loaded\s", out, re.M)) for out in (out1, out2))
    assert statuses == [0, 2], (out1, out2)  # one process loaded both files, the other skipped
    # The second file re-sends 1000 rows of the first unchanged: stored as delivered facts,
    # they add no key to the state.
    assert counts(settings) == (2, 21_000, 0)
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute("select count(*) from ledger.current_events('tax', date '2026-11-20')")
        assert cur.fetchone() == (20_000,)
    conn.close()


def test_no_wait_fails_with_a_clear_message(settings, tmp_path):
    inbox = tmp_path / "inbox"
    big_tax_file(inbox, rows=10)
    holder = connect(settings)
    with feed_lock(holder, "tax"):
        proc = subprocess.run(
            [sys.executable, "-m", "projledger.cli", "ingest", "--inbox", str(inbox), "--no-wait"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    holder.close()
    assert proc.returncode == 3
    assert "feed 'tax' is being ingested by pid" in proc.stderr
    assert counts(settings) == (0, 0, 0)
