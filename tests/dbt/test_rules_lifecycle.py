"""Coverage gaps and warnings on a small hand-written ledger, run night by night with real dbt:
gap ids kept while found, resolution the first run night a gap is no longer found, a night
re-run after later deliveries giving the same answer, a project leaving the registry, and a
full refresh that keeps the nightly gap log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from projledger.settings import Settings
from tests.dbt.ledger_fixture import query, run_models, seeded

SELECT = ["+fct_coverage_gap", "+fct_project_warning", "+int_projects_relocation_flagged"]

P_A = "2024-320602-39-03-000001"  # industrial, in production since August
P_B = "2024-320602-39-03-000002"  # leaves the registry on 2 Nov
P_C = "2025-320602-39-03-000003"  # service project under construction since May
CC_A = "91320602MA1X000001"
IDLE = "CC2024-09"  # industrial parcel, blank project code, assignee without a project


def _project(code: str, kind: str, plan: tuple[float, str, str, str]) -> dict:
    investment, start, completion, production = plan
    return {
        "project_code": code,
        "project_name": code[-3:],
        "credit_code": "9132060200000" + code[-5:],
        "street_code": "320602001",
        "project_kind": kind,
        "planned_investment": investment,
        "planned_start": start,
        "planned_completion": completion,
        "planned_production": production,
        "registered_on": "2025-01-10",
        "committed_tax_per_mu": 30 if kind == "工业" else None,
    }


A = {
    **_project(P_A, "工业", (50000, "2025-03-01", "2026-06-30", "2026-09-01")),
    "credit_code": CC_A,
}
B = _project(P_B, "工业", (20000, "2026-01-01", "2027-06-30", "2027-09-01"))
C = _project(P_C, "服务业", (12000, "2026-05-01", "2027-04-30", "2027-06-01"))


def _node(code: str, node: str, planned: str, actual: str | None, reported: str) -> tuple:
    data = {
        "project_code": code,
        "node": node,
        "planned_date": planned,
        "actual_date": actual,
        "reported_on": reported,
    }
    return (f"{code}|{node}", "upsert", data)


def _fai(code: str, period: str, month: float, cumulative: float) -> tuple:
    data = {
        "project_code": code,
        "period": period,
        "month_investment": month,
        "cumulative_investment": cumulative,
    }
    return (f"{code}|{period}", "upsert", data)


def _tax(period: str, amount: float) -> tuple:
    data = {"credit_code": CC_A, "period": period, "tax_type": "增值税", "amount_yuan": amount}
    return (f"{CC_A}|{period}|增值税", "upsert", data)


def _parcel(parcel_no: str, **values: Any) -> tuple:
    data = {"parcel_no": parcel_no, "land_use": "工业", **values}
    return (parcel_no, "upsert", data)


# (feed, delivered_on, status, events)
BATCHES: list[tuple[str, str, str, list[tuple]]] = [
    (
        "registry",
        "2026-10-05",
        "loaded",
        [(P_A, "upsert", A), (P_B, "upsert", B), (P_C, "upsert", C)],
    ),
    (
        "registry",
        "2026-11-02",
        "loaded",
        [(P_A, "upsert", A), (P_C, "upsert", C)],  # a full snapshot: P_B is absent
    ),
    (
        "milestones",
        "2026-11-16",
        "loaded",
        [
            _node(P_A, "开工", "2025-03-01", "2025-03-10", "2026-11-16"),
            _node(P_A, "竣工", "2026-06-30", "2026-06-20", "2026-11-16"),
            _node(P_A, "投产", "2026-09-01", "2026-08-15", "2026-11-16"),
            _node(P_C, "开工", "2026-05-01", "2026-05-20", "2026-11-16"),
            _node(P_C, "竣工", "2027-04-30", None, "2026-11-16"),
        ],
    ),
    # Known from 20 Nov: a milestone row of the project that has left the registry.
    ("milestones", "2026-11-20", "loaded", [_node(P_B, "开工", "2026-01-01", None, "2026-11-20")]),
    (
        "approvals",
        "2026-11-10",
        "loaded",
        [
            (
                f"{P_C}|立项备案",
                "upsert",
                {
                    "project_code": P_C,
                    "item": "立项备案",
                    "result": "准予",
                    "decided_on": "2026-02-01",
                    "total_investment": 12000,
                },
            )
        ],
    ),
    (
        "land",
        "2026-11-09",
        "loaded",
        [
            _parcel(
                "CC2024-01",
                project_code=P_A,
                credit_code=CC_A,
                street_code="320602001",
                area_m2=66666.7,
                contract_signed_on="2024-11-01",
                agreed_start="2025-03-01",
                actual_start="2025-03-10",
            ),
            _parcel(
                IDLE,
                project_code=None,
                credit_code="91320602MA1X000009",
                street_code="320602002",
                area_m2=20000,
                contract_signed_on="2024-06-01",
                agreed_start="2024-12-01",
            ),
        ],
    ),
    ("stats_fai", "2026-10-08", "loaded", [_fai(P_C, "2026-09-01", 100, 2000)]),
    ("stats_fai", "2026-11-09", "loaded", [_fai(P_C, "2026-10-01", 300, 2300)]),
    # The August report arrives late, on 22 Nov: it resolves a gap found on earlier nights.
    ("stats_fai", "2026-11-22", "loaded", [_fai(P_C, "2026-08-01", 100, 1900)]),
    # Delivered after every night of the test: never visible.
    ("stats_fai", "2026-12-01", "loaded", [_fai(P_C, "2026-05-01", 100, 100)]),
    ("stats_enterprise", "2026-11-09", "loaded", []),
    ("stats_gdp", "2026-10-20", "loaded", []),
    ("tax", "2026-10-18", "loaded", [_tax("2026-09-01", 1200000)]),
    ("tax", "2026-11-18", "loaded", [_tax("2026-10-01", 800000)]),
    ("tax", "2026-11-19", "rejected", []),
]


@pytest.fixture(scope="module")
def rules_settings(module_db: str, tmp_path_factory) -> Iterator[Settings]:
    with seeded(module_db, tmp_path_factory.mktemp("rules_home"), BATCHES) as settings:
        yield settings


def _night(settings: Settings, as_of: date, *extra: str) -> None:
    run_models(settings, SELECT, as_of, *extra)


_rows = query


GAPS = """select rule_id, subject_key, period::text, detected_on::text, status,
                 resolved_on::text, days_open, owner_dept, gap_id
          from marts.fct_coverage_gap"""

WARNINGS = """select rule_id, coalesce(project_code, parcel_no), grade, owner_dept
              from marts.fct_project_warning order by 1, 2"""


def _gaps(settings: Settings) -> dict[tuple, tuple]:
    return {(r[0], r[1], r[2], r[3]): r for r in _rows(settings, GAPS)}


def test_nightly_lifecycle_rerun_and_refresh(rules_settings: Settings) -> None:
    for night in (date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 24)):
        _night(rules_settings, night)
    final = _gaps(rules_settings)

    # The August report arrived on 22 Nov: found on 21 Nov, resolved on the next run night.
    aug = final[("missing_fai_report", P_C, "2026-08-01", "2026-11-21")]
    assert aug[4:8] == ("resolved", "2026-11-23", 2, "tjj")
    # Earlier months stay open under the id of the night they were first found; the May report
    # delivered in December is not known yet.
    may = final[("missing_fai_report", P_C, "2026-05-01", "2026-11-21")]
    assert may[4:7] == ("open", None, 3)
    # Last milestone report 16 Nov: 7 days old on the 23rd is fine, 8 days on the 24th is stale.
    stale = final[("stale_milestones", P_C, None, "2026-11-24")]
    assert stale[4] == "open" and stale[7] == "320602001"
    # A milestone row of the project that left the registry names an unknown project; it is
    # routed to the street the project had in the registry.
    unknown = final[("unknown_project", f"milestones|{P_B}", None, "2026-11-21")]
    assert unknown[4] == "open" and unknown[7] == "320602001"
    assert not [k for k in final if k[0] == "stale_milestones" and k[1] == P_B]
    # The blank-code industrial parcel of an assignee without a registry project.
    assert ("unregistered_project", f"{IDLE}|91320602MA1X000009", None, "2026-11-21") in final
    feeds = {k[1] for k, row in final.items() if k[0] == "missing_feed" and row[4] == "open"}
    # Leads and carriers were never delivered; hitech has no cadence and is never missing.
    assert feeds == {"registry", "approvals", "land", "leads", "carriers"}
    assert not [k for k in final if k[0] == "missing_tax_record"]

    assert _rows(rules_settings, WARNINGS) == [
        ("idle_land", IDLE, "red", "zrzy"),
        ("investment_lag", P_C, "red", "320602001"),
    ]

    # Re-running 21 Nov after the later deliveries gives that night's view, with the same ids.
    _night(rules_settings, date(2026, 11, 21))
    rerun = _gaps(rules_settings)
    aug_then = rerun[("missing_fai_report", P_C, "2026-08-01", "2026-11-21")]
    assert aug_then[4:7] == ("open", None, 0) and aug_then[8] == aug[8]
    assert not [k for k in rerun if k[0] == "stale_milestones"]

    # Back to 24 Nov with a full refresh: the nightly log survives, the history is identical.
    _night(rules_settings, date(2026, 11, 24), "--full-refresh")
    assert _gaps(rules_settings) == final
    nights = _rows(
        rules_settings,
        "select distinct as_of::text from intermediate.int_gap_observations order by 1",
    )
    assert nights == [("2026-11-21",), ("2026-11-23",), ("2026-11-24",)]
