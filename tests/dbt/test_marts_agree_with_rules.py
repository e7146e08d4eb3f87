"""The marts and the rules say the same thing about the same row, because each concept is
written once (a macro): a milestone node's delay (fct_milestone vs node_overdue), idle land
(fct_land_parcel.is_idle vs idle_land). The hard case is a date after as_of: a street that
reports an actual date in the future (a plan typed into the wrong column) has not met the node
yet, and a parcel whose actual start is in the future has not started, as of that night."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from projledger.db import connect
from projledger.dbt_runner import run_dbt
from projledger.settings import Settings
from tests.dbt.ledger_fixture import run_models, seeded

AS_OF = date(2026, 11, 24)
P = "2025-320602-39-03-000011"
SELECT = [
    "+fct_milestone",
    "+fct_land_parcel",
    "+int_warnings_node_overdue",
    "+int_warnings_idle_land",
    "+int_gaps_stale_milestones",
]

PROJECT = {
    "project_code": P,
    "project_name": "未来日期项目",
    "credit_code": "91320602MA1X000011",
    "street_code": "320602001",
    "project_kind": "工业",
    "planned_investment": 30000,
    "planned_start": "2026-10-01",
    "planned_completion": "2027-06-30",
    "planned_production": "2026-11-01",
    "registered_on": "2025-06-01",
}


def _node(node: str, planned: str, actual: str) -> tuple:
    data = {
        "project_code": P,
        "node": node,
        "planned_date": planned,
        "actual_date": actual,
        "reported_on": "2026-11-02",
    }
    return (f"{P}|{node}", "upsert", data)


BATCHES = [
    ("registry", "2026-11-02", "loaded", [(P, "upsert", PROJECT)]),
    # Reported on 2 Nov with actual dates after the night of 24 Nov.
    (
        "milestones",
        "2026-11-02",
        "loaded",
        [_node("开工", "2026-10-01", "2026-12-01"), _node("投产", "2026-11-01", "2026-12-10")],
    ),
    (
        "land",
        "2026-11-05",
        "loaded",
        [
            (
                "CC2025-11",
                "upsert",
                {
                    "parcel_no": "CC2025-11",
                    "project_code": P,
                    "credit_code": "91320602MA1X000011",
                    "street_code": "320602001",
                    "land_use": "工业",
                    "area_m2": 30000,
                    "contract_signed_on": "2025-01-10",
                    "agreed_start": "2025-06-01",
                    "actual_start": "2026-12-15",
                },
            )
        ],
    ),
]


@pytest.fixture(scope="module")
def night(module_db: str, tmp_path_factory) -> Iterator[Settings]:
    with seeded(module_db, tmp_path_factory.mktemp("agree_home"), BATCHES) as settings:
        run_models(settings, SELECT, AS_OF)
        yield settings


def _rows(settings: Settings, sql: str) -> list[tuple]:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_future_actual_date_is_an_open_node_in_mart_and_rule(night: Settings) -> None:
    delays = dict(_rows(night, "select node, delay_days from marts.fct_milestone"))
    # Not met by 24 Nov: late by as_of - planned_date, not by actual_date - planned_date.
    assert delays == {"开工": 54, "投产": 23}
    warned = _rows(
        night, "select node, delay_days, grade from intermediate.int_warnings_node_overdue"
    )
    assert warned == [("开工", delays["开工"], "yellow")]


def test_future_actual_start_is_idle_land_in_mart_and_rule(night: Settings) -> None:
    idle = _rows(night, "select parcel_no from marts.fct_land_parcel where is_idle")
    warned = _rows(night, "select parcel_no, delay_days from intermediate.int_warnings_idle_land")
    assert idle == [("CC2025-11",)]
    # Idle since 2026-06-01 (agreed start + 1 year): 176 days by 24 Nov.
    assert warned == [("CC2025-11", 176)]


def test_future_production_is_not_done_for_stale_milestones(night: Settings) -> None:
    # Last reported 22 days before as_of, and 投产 has not happened by as_of: stale.
    stale = _rows(night, "select project_code from intermediate.int_gaps_stale_milestones")
    assert stale == [(P,)]


def test_unit_tests_of_the_shared_macros(night: Settings) -> None:
    # The dbt unit tests of the models that use the macros (idle land over a leap day, node
    # delays): their parents are built by the fixture.
    models = [s.lstrip("+") for s in SELECT]
    res = run_dbt(night, ["test", "-s", *(f"test_type:unit,{m}" for m in models)], AS_OF)
    assert res.success, [(r.unique_id, r.message) for r in res.failed] or res.error
    ran = {r.unique_id.rsplit(".", 1)[-1] for r in res.results}
    assert {
        "idle_land_one_calendar_year_across_a_leap_day",
        "idle_land_from_a_leap_day",
        "land_parcel_idle_one_calendar_year",
        "milestone_delay_days",
    } <= ran
