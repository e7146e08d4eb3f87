"""The state as of a date depends only on the files delivered by then, never on the order in
which they were loaded (issue 10 §3): a late registry snapshot, and the same set of files
loaded in several orders into fresh databases giving identical marts."""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from pathlib import Path

from ingest.inbox import discover
from ingest.load import ingest_inbox, load_delivery
from projledger.db import connect
from projledger.dbt_runner import run_dbt
from tests.conftest import _create_db, _drop_db, _settings_for
from tests.dags.marts import marts_fingerprint
from tests.integration.feedfiles import credit, write_csv
from tests.integration.test_ingest import REG_ZH, STREET, TAX_EN, reg_row

P1, P2, P3, P4 = (f"2024-320602-39-03-00000{i}" for i in range(1, 5))
START = REG_ZH.index("计划开工日期")


def _registry(inbox: Path, day: str, rows: list[list]) -> None:
    write_csv(inbox / "registry" / f"{day}.csv", [*REG_ZH, "状态"], rows)


def _snapshot(*codes: str, void: str = "", **changes: dict) -> list[list]:
    """Registry rows of the given projects; `changes` maps a project to {column index: value},
    `void` names a project retracted (作废) in this snapshot."""
    rows = []
    for code in codes:
        row = reg_row(code)
        for i, value in changes.get(code, {}).items():
            row[i] = value
        rows.append([*row, "作废" if code == void else ""])
    return rows


def _late_snapshot_files(inbox: Path) -> None:
    _registry(inbox, "20260925", _snapshot(P1, P2, P3))
    _registry(inbox, "20261009", _snapshot(P1, P2, P3))  # unchanged
    # Delivered on 2 Oct but loaded after 9 Oct: one extra project, one changed planned start.
    _registry(inbox, "20261002", _snapshot(P1, P2, P3, P4, **{P2: {START: "2026-01-01"}}))


def _registry_state(settings, as_of: date) -> tuple[list, list]:
    run = run_dbt(settings, ["run", "-s", "+dim_project", "stg_registry__projects"], as_of)
    assert run.success, [(r.unique_id, r.message) for r in run.failed] or run.error
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "select project_code, planned_start from staging.stg_registry__projects order by 1"
        )
        library = cur.fetchall()
        cur.execute(
            "select project_code, valid_from, valid_to, version_status, in_registry, "
            "planned_start from marts.dim_project order by 1, 2"
        )
        history = cur.fetchall()
    conn.close()
    return library, history


def test_a_late_registry_snapshot_changes_only_the_nights_it_was_known_for(
    settings, tmp_path
) -> None:
    inbox = tmp_path / "inbox"
    _late_snapshot_files(inbox)
    conn = connect(settings)
    first = [d for d in discover(inbox) if d.delivered_on != date(2026, 10, 2)]
    late = [d for d in discover(inbox) if d.delivered_on == date(2026, 10, 2)]
    for delivery in [*first, *late]:
        load_delivery(conn, delivery)
    conn.close()
    assert run_dbt(settings, ["seed"]).success

    library, history = _registry_state(settings, date(2026, 10, 12))
    original = date(2025, 3, 1)
    assert library == [(P1, original), (P2, original), (P3, original)]  # the 9 Oct snapshot
    assert [h for h in history if h[0] == P4] == [
        (P4, date(2026, 10, 2), date(2026, 10, 9), "in_registry", False, original),
        (P4, date(2026, 10, 9), None, "left", False, original),
    ]
    assert [(h[1], h[2], h[5]) for h in history if h[0] == P2] == [
        (date(2026, 9, 25), date(2026, 10, 2), original),
        (date(2026, 10, 2), date(2026, 10, 9), date(2026, 1, 1)),
        (date(2026, 10, 9), None, original),
    ]

    library, _ = _registry_state(settings, date(2026, 10, 5))
    assert library == [
        (P1, original),
        (P2, date(2026, 1, 1)),
        (P3, original),
        (P4, original),
    ]


def _property_files(inbox: Path) -> None:
    """A few weeks of registry snapshots and tax files with the cases that used to depend on
    load order: a late snapshot, a snapshot identical to an older one, a quarantined row in a
    snapshot, a retraction, corrections, and the same tax file delivered twice."""
    _late_snapshot_files(inbox)
    bad_start = {START: "2025-13-01"}
    _registry(inbox, "20261016", _snapshot(P1, P2, P3, void=P3, **{P1: bad_start}))
    shutil.copy(inbox / "registry" / "20261016.csv", inbox / "registry" / "20261023.csv")
    a, b, c = credit(1), credit(2), credit(3)

    def tax(day: str, rows: list[list[str]]) -> None:
        write_csv(inbox / "tax" / f"{day}.csv", [*TAX_EN, "record_status"], rows)

    def row(code: str, amount: str, status: str = "") -> list[str]:
        return [code, "甲", "2026-09", "增值税", amount, "2026-10-10", STREET, "", status]

    tax("20261015", [row(a, "100"), row(b, "200"), row("BAD", "1")])
    tax("20261020", [row(a, "100"), row(b, "250"), row(c, "10")])
    tax("20261022", [row(a, "", "作废")])
    shutil.copy(inbox / "tax" / "20261015.csv", inbox / "tax" / "20261025.csv")


AS_OF_DATES = (date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 26))

# What the store says as of a date, with load-order numbers replaced by what they name.
STORE_STATE = """
select 'current', f.feed, e.natural_key || ' ' || e.op || ' '
       || coalesce(ledger.fact_values(e.fact)::text, '') || ' ' || e.delivered_on
from unnest(array['registry', 'tax']) as f (feed),
     ledger.current_events(f.feed, %(as_of)s) as e
union all
select 'changes', f.feed, c.natural_key || ' ' || c.op || ' '
       || coalesce(ledger.fact_values(c.fact)::text, '') || ' ' || c.delivered_on
from unnest(array['registry', 'tax']) as f (feed), ledger.changes(f.feed, %(as_of)s) as c
union all
select 'batch', b.feed, concat_ws(' ', b.file_name, j.status, j.reason,
       regexp_replace(j.detail, 'batch [0-9]+', 'batch #'), j.encoding, j.header::text,
       j.rows_total, j.rows_loaded, j.rows_rejected, j.events_added,
       (select d.file_name from ledger.batch as d where d.batch_id = j.duplicate_of))
from ledger.batches(%(as_of)s) as j
inner join ledger.batch as b using (batch_id)
order by 1, 2, 3
"""


def test_the_store_state_is_the_same_in_any_load_order(server_url, tmp_path, monkeypatch):
    """The fast version, without dbt: the derived state of every day, eight load orders."""
    inbox = tmp_path / "inbox"
    _property_files(inbox)
    in_date_order = discover(inbox)
    rng = random.Random(1013)
    orders = [in_date_order, list(reversed(in_date_order))]
    for _ in range(6):
        orders.append(rng.sample(in_date_order, len(in_date_order)))
    days = [date(2026, 9, 24) + timedelta(days=i) for i in range(34)]
    states = []
    for i, order in enumerate(orders):
        url = _create_db(server_url)
        try:
            conn = connect(_settings_for(url, tmp_path / f"home{i}", monkeypatch))
            for delivery in order:
                load_delivery(conn, delivery)
            with conn.cursor() as cur:
                state = {}
                for day in days:
                    cur.execute(STORE_STATE, {"as_of": day})
                    state[day] = cur.fetchall()
            conn.close()
            states.append(state)
        finally:
            _drop_db(server_url, url)
    for day in days:
        for i, other in enumerate(states[1:], start=1):
            assert other[day] == states[0][day], (day, [d.file_name for d in orders[i]])


def _marts_after_loading(server_url: str, home: Path, inbox: Path, order: list, monkeypatch):
    url = _create_db(server_url)
    try:
        settings = _settings_for(url, home, monkeypatch)
        conn = connect(settings)
        for delivery in order:
            load_delivery(conn, delivery)
        again = ingest_inbox(conn, inbox)  # a re-run is a no-op
        assert {r.status for r in again} == {"skipped"}
        conn.close()
        assert run_dbt(settings, ["seed"]).success
        prints = {}
        for as_of in AS_OF_DATES:
            run = run_dbt(settings, ["run"], as_of)
            assert run.success, [(r.unique_id, r.message) for r in run.failed] or run.error
            prints[as_of] = marts_fingerprint(url)
        return prints
    finally:
        _drop_db(server_url, url)


def test_the_same_files_in_any_load_order_give_the_same_marts(
    server_url, tmp_path, monkeypatch
) -> None:
    inbox = tmp_path / "inbox"
    _property_files(inbox)
    in_date_order = discover(inbox)
    rng = random.Random(10)
    orders = [in_date_order, list(reversed(in_date_order))]
    shuffled = list(in_date_order)
    rng.shuffle(shuffled)
    orders.append(shuffled)
    results = [
        _marts_after_loading(server_url, tmp_path / f"home{i}", inbox, order, monkeypatch)
        for i, order in enumerate(orders)
    ]
    for as_of in AS_OF_DATES:
        expected = results[0][as_of]
        for other in results[1:]:
            differing = sorted(t for t in expected if expected[t] != other[as_of].get(t))
            assert differing == [], f"as of {as_of}: {differing}"
