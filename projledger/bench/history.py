"""`projledger bench --alerts`: a night's alert history after a year of digests.

An open item is listed in every digest its owner gets, so the listings grow by the open items
every night. The year here: `owners` owners, each with `items` items open all year and listed
every night, a reminder every seventh night. Measured in this process, like ingest in --store:
- the history of the next night summed from every listing, as each night did before saved
  nights (alerts/lifecycle.py; the same query with none saved);
- saving the last night's episodes for the first time (once, after the upgrade);
- the next night's history from that saved night, and saving the next night in turn.
"""

from __future__ import annotations

import shutil
import time
from datetime import date, timedelta
from pathlib import Path

from projledger.bench.measure import Stage
from projledger.db import embedded

FIRST_NIGHT = date(2025, 11, 1)
NIGHTS = 365


def _digests(cur, nights: tuple[date, date], owners: int, items: int) -> int:
    """Each owner's digest of each night from nights[0] to nights[1], listing its items."""
    cur.execute(
        "insert into alerts.alert (run_date, owner_dept, recipients, subject, body_text, "
        "body_html, message_id, status) "
        "select d::date, 'owner' || o, '{}', '', '', '', 'bench.' || d::date || '.' || o, 'sent' "
        "from generate_series(%s::date, %s::date, interval '1 day') as d, "
        "generate_series(1, %s) as o",
        (*nights, owners),
    )
    cur.execute(
        "insert into alerts.alert_item (alert_id, item_kind, item_id, state, rule_id, "
        "opened_on, days_open, project_code, detail) "
        "select a.alert_id, 'warning', a.owner_dept || '.' || i, "
        "case when a.run_date = %(first)s then 'new' "
        "when (a.run_date - %(first)s) %% 7 = 0 then 'reminder' else 'open' end, "
        "'stale_milestones', %(first)s, a.run_date - %(first)s, 'P' || i, "
        "jsonb_build_object('kind', 'warning', 'item_id', a.owner_dept || '.' || i, "
        "'owner', a.owner_dept, 'rule_id', 'stale_milestones', 'project_code', 'P' || i, "
        "'opened_on', %(first)s::text, 'detail', '节点计划开工已逾期') "
        "from alerts.alert as a, generate_series(1, %(items)s) as i "
        "where a.run_date between %(from)s and %(to)s",
        {"first": FIRST_NIGHT, "items": items, "from": nights[0], "to": nights[1]},
    )
    return cur.rowcount


def bench_history(home: Path, owners: int, items: int) -> list[Stage]:
    import psycopg2

    from alerts.lifecycle import load_history, save_episodes
    from projledger.db.migrate import migrate

    pg_home = home / "history-home"
    shutil.rmtree(pg_home, ignore_errors=True)
    url = embedded.url(embedded.start(pg_home))
    conn = psycopg2.connect(url)
    migrate(conn)
    last = FIRST_NIGHT + timedelta(days=NIGHTS - 1)
    with conn.cursor() as cur:
        listings = _digests(cur, (FIRST_NIGHT, last), owners, items)
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("vacuum (analyze) alerts.alert, alerts.alert_item")
    conn.autocommit = False

    results: list[Stage] = []

    def timed(name: str, work) -> None:
        started = time.monotonic()
        work()
        conn.commit()
        results.append(Stage(0, name, time.monotonic() - started, 0))

    timed(
        f"alert history, {listings:,} listings summed (before)",
        lambda: load_history(conn, last + timedelta(days=1)),
    )
    timed("saving a night's open episodes, the first time", lambda: save_episodes(conn, last))
    timed(
        "alert history from the night before",
        lambda: load_history(conn, last + timedelta(days=1)),
    )
    with conn.cursor() as cur:
        _digests(cur, (last + timedelta(days=1),) * 2, owners, items)
    conn.commit()
    timed(
        "saving the next night's open episodes",
        lambda: save_episodes(conn, last + timedelta(days=1)),
    )
    conn.close()
    embedded.stop(pg_home)
    return results
