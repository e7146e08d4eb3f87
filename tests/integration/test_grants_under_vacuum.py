"""The grants after a build run while autovacuum may be analyzing a marts table it just rebuilt:
they must wait for it, never deadlock with it (seen at the province: ANALYZE, holding its lock
on marts.fct_project_month, waited to record its statistics on the catalog row the grants had
changed, while the grants waited for its lock to turn row-level security on)."""

from __future__ import annotations

import threading

from projledger.db import connect
from projledger.db.roles import ensure_roles


def test_grants_wait_for_an_analyze_of_a_marts_table_instead_of_deadlocking(settings):
    admin = connect(settings)
    with admin.cursor() as cur:
        cur.execute("create schema if not exists marts")
        cur.execute("create table marts.fct_demo (street_code text, n int)")
        cur.execute(
            "insert into marts.fct_demo select '320602001', g from generate_series(1, 100) g"
        )
    admin.commit()

    # An analyze under way: it holds its lock on the table ...
    vacuum = connect(settings)
    vacuum_cur = vacuum.cursor()
    vacuum_cur.execute("lock table marts.fct_demo in share update exclusive mode")

    outcome: dict = {}

    def grant() -> None:
        conn = connect(settings)
        try:
            outcome["done"] = ensure_roles(conn)
        except Exception as exc:  # noqa: BLE001 - the finding is reported below
            outcome["error"] = exc
        finally:
            conn.close()

    granting = threading.Thread(target=grant)
    granting.start()
    # ... until the grants wait for it
    with admin.cursor() as cur:
        for _ in range(600):
            cur.execute(
                "select count(*) from pg_locks where not granted and relation = "
                "'marts.fct_demo'::regclass"
            )
            if cur.fetchone()[0]:
                break
            admin.commit()
            threading.Event().wait(0.05)
    admin.commit()
    # ... and then records its statistics on the table's catalog row.
    vacuum_cur.execute("analyze marts.fct_demo")
    vacuum.commit()
    vacuum.close()
    granting.join(timeout=60)

    assert "error" not in outcome, outcome.get("error")
    assert any("fct_demo" in line for line in outcome["done"])
    admin.close()
