"""The registry's history is kept incrementally: a night derives only the snapshots delivered
after those it has read, starting from each project's state in the last of them (a project only
quarantined there keeps its state from the snapshots before). Whatever arrives (a change, a
project leaving and coming back, a quarantined row, a snapshot dated before the last one read
but loaded after it) and whatever the order of the nights (a rerun, a replay of an earlier
date), the table equals the history derived from every snapshot as of that night."""

from __future__ import annotations

import json
from datetime import date

import psycopg2
import pytest

from projledger.db import connect
from tests.dbt.ledger_fixture import (
    A_V1,
    A_V2,
    B_V1,
    C_V1,
    P_A,
    P_B,
    P_C,
    insert_event,
    query,
    run_models,
    seeded,
)

MODEL = ["stg_registry__snapshots"]
C_V2 = {**C_V1, "planned_investment": 15000}


def _snapshot(settings, delivered: str, rows: list[dict], quarantined: list[str] = ()) -> None:
    """One registry snapshot: its good rows, and rows of the `quarantined` projects rejected."""
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            """insert into ledger.batch (feed, file_name, sha256, delivered_on, status,
                   rows_total, rows_loaded, rows_rejected, events_added, snapshot)
               values ('registry', %s, %s, %s, 'loaded', %s, %s, %s, %s, true)
               returning batch_id""",
            (
                f"{delivered.replace('-', '')}.xlsx",
                f"sha-{delivered}",
                delivered,
                len(rows) + len(quarantined),
                len(rows),
                len(quarantined),
                len(rows),
            ),
        )
        batch_id = cur.fetchone()[0]
        for line_no, data in enumerate(rows, start=2):
            insert_event(
                cur, "registry", batch_id, delivered, line_no, data["project_code"], "upsert", data
            )
        for line_no, code in enumerate(quarantined, start=len(rows) + 2):
            cur.execute(
                """insert into ledger.rejected_row
                       (batch_id, feed, line_no, reason, detail, raw, natural_key)
                   values (%s, 'registry', %s, 'invalid_date', 'registered_on', %s, %s)""",
                (batch_id, line_no, json.dumps({"项目代码": code}, ensure_ascii=False), code),
            )
    conn.commit()
    conn.close()


KEPT = """select project_code, op, event_id, batch_id, delivered_on, delivery_rank, project_name,
                 planned_investment
          from staging.stg_registry__snapshots order by 1, 6"""
DERIVED = """select natural_key, op, event_id, batch_id, delivered_on, delivery_rank,
                    (fact).project_name, (fact).planned_investment
             from ledger.snapshot_history('registry', %s) order by 1, 6"""


def _night(settings, as_of: date) -> list[tuple]:
    run_models(settings, MODEL, as_of)
    kept = query(settings, KEPT)
    assert kept == query(settings, DERIVED, as_of)
    return kept


def _built(settings) -> list[str]:
    return [
        str(d)
        for (d,) in query(
            settings,
            "select distinct built_as_of from staging.stg_registry__snapshots order by 1",
        )
    ]


@pytest.fixture(scope="module")
def settings(module_db, tmp_path_factory):
    with seeded(module_db, tmp_path_factory.mktemp("snapshots"), []) as s:
        yield s


def test_nights_add_the_new_snapshots_and_equal_the_whole_history(settings) -> None:
    _snapshot(settings, "2026-10-05", [A_V1, B_V1, C_V1])
    _snapshot(settings, "2026-10-12", [A_V1, C_V1], quarantined=[P_B])
    # B only quarantined in the last snapshot of the first night: it keeps its version
    _snapshot(settings, "2026-10-19", [A_V2], quarantined=[P_B])
    first = _night(settings, date(2026, 10, 19))
    assert [(r[0], r[1]) for r in first] == [
        (P_A, "upsert"),
        (P_A, "upsert"),
        (P_B, "upsert"),
        (P_C, "upsert"),
        (P_C, "leave"),
    ]

    # B leaves (naming the fact of its last whole delivery), C comes back with new values
    _snapshot(settings, "2026-10-26", [A_V2, C_V2])
    second = _night(settings, date(2026, 10, 26))
    assert set(first) <= set(second)
    [(b_leave_event,)] = query(
        settings,
        "select event_id from staging.stg_registry__snapshots "
        "where project_code = %s and op = 'leave'",
        P_B,
    )
    [(b_first_event,)] = query(
        settings,
        "select min(event_id) from ledger.event where feed = 'registry' and natural_key = %s",
        P_B,
    )
    assert b_leave_event == b_first_event
    # the first night's rows were kept, not derived again
    assert _built(settings) == ["2026-10-19", "2026-10-26"]

    # a rerun of the night adds nothing
    assert _night(settings, date(2026, 10, 26)) == second
    assert _built(settings) == ["2026-10-19", "2026-10-26"]


def test_a_snapshot_delivered_before_the_last_read_derives_the_whole_history(settings) -> None:
    # dated between the first night's last snapshot and the second night's, loaded after both
    _snapshot(settings, "2026-10-22", [A_V1, B_V1, C_V1])
    late = _night(settings, date(2026, 10, 26))
    # A back to its first values, C back in the library (B was never out of it)
    assert [(r[0], r[1]) for r in late if str(r[4]) == "2026-10-22"] == [
        (P_A, "upsert"),
        (P_C, "upsert"),
    ]
    assert _built(settings) == ["2026-10-26"]

    # a replay of an earlier night, then the next night again
    _night(settings, date(2026, 10, 12))
    assert _built(settings) == ["2026-10-12"]
    _snapshot(settings, "2026-11-02", [A_V1, C_V2])
    _night(settings, date(2026, 11, 2))
    assert _built(settings) == ["2026-10-12", "2026-11-02"]


def test_a_read_started_before_a_late_snapshot_arrived_stops(settings) -> None:
    """The guard of an ingest beside a build. The read names how many snapshots it starts
    after and the last of them: counted before the late 2026-10-22 snapshot arrived, the
    2026-10-26 one was the 4th; it is the 5th now, and a read from the 4th would repeat it."""
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select batch_id from ledger.batch where feed = 'registry' "
                "and delivered_on = '2026-10-26'"
            )
            (batch,) = cur.fetchone()
            history = "select natural_key, op, delivery_rank from ledger.snapshot_history"
            cur.execute(f"{history}('registry', date '2026-11-02', 5, %s)", (batch,))
            after_fifth = cur.fetchall()
            cur.execute(f"{history}('registry', date '2026-11-02') where delivery_rank > 5")
            assert after_fifth == cur.fetchall() == [(P_A, "upsert", 6)]
            with pytest.raises(psycopg2.errors.RaiseException, match="build again"):
                cur.execute(f"{history}('registry', date '2026-11-02', 4, %s)", (batch,))
    finally:
        conn.close()


def test_a_history_built_by_an_earlier_version_is_derived_again(settings) -> None:
    """A warehouse upgraded from a version that rebuilt the history as a plain table, which
    recorded no reads: its next night derives the whole history into the kept table."""
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "alter table staging.stg_registry__snapshots drop column built_as_of, "
            "drop column read_snapshots, drop column read_through_batch"
        )
    conn.commit()
    conn.close()
    _night(settings, date(2026, 11, 2))
    assert _built(settings) == ["2026-11-02"]


def test_a_project_that_left_before_it_was_quarantined_comes_back_as_new(settings) -> None:
    """Quarantined in the last snapshot read, D keeps no version there: it had left the library
    the snapshot before. Its return is a new version, as the full derivation has it."""
    p_d = "2025-320602-39-03-000004"
    d_v1 = {**C_V1, "project_code": p_d, "project_name": "丁项目"}
    _snapshot(settings, "2026-11-09", [A_V1, C_V2, d_v1])
    _snapshot(settings, "2026-11-16", [A_V1, C_V2])
    _snapshot(settings, "2026-11-23", [A_V1, C_V2], quarantined=[p_d])
    _night(settings, date(2026, 11, 23))
    _snapshot(settings, "2026-11-30", [A_V1, C_V2, d_v1])
    kept = _night(settings, date(2026, 11, 30))
    assert [(r[1], str(r[4])) for r in kept if r[0] == p_d] == [
        ("upsert", "2026-11-09"),
        ("leave", "2026-11-16"),
        ("upsert", "2026-11-30"),
    ]
    assert _built(settings) == ["2026-11-02", "2026-11-23", "2026-11-30"]
