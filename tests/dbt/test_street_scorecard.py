"""The street scorecard on a small hand-written ledger with real dbt and PostgreSQL: its dbt unit
tests (each component, the cap, penalties, ties, grades, benefit sharing), and the freeze of a
final quarter: the night on or after the 20th of the month after the quarter stores it; a
correction delivered later changes the provisional view but never the final quarter, re-running
the freezing night reproduces it, and a full refresh keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from projledger.dbt_runner import run_dbt
from projledger.settings import Settings
from tests.dbt.ledger_fixture import query, run_models, seeded

SELECT = ["+kpi_street_quarter", "+kpi_street_year"]
A, B = "320602001", "320602002"
P1, P2 = "2026-320602-39-03-000101", "2026-320602-39-03-000102"
CC1, CC2 = "91320602MA1X000101", "91320602MA1X000102"


def _project(code: str, street: str, credit: str, investment: float, registered: str) -> dict:
    return {
        "project_code": code,
        "project_name": f"项目{code[-3:]}",
        "credit_code": credit,
        "street_code": street,
        "project_kind": "工业",
        "planned_investment": investment,
        "registered_on": registered,
    }


def _fai(code: str, period: str, month: float) -> tuple:
    data = {"project_code": code, "period": period, "month_investment": month}
    return (f"{code}|{period}", "upsert", data)


# (feed, delivered_on, events)
BATCHES: list[tuple[str, str, list[tuple]]] = [
    (
        "registry",
        "2026-08-03",
        [
            (P1, "upsert", _project(P1, A, CC1, 50000, "2026-07-10")),
            (P2, "upsert", _project(P2, B, CC2, 8000, "2026-08-01")),
        ],
    ),
    (
        "stats_fai",
        "2026-10-09",
        [
            _fai(P1, "2026-07-01", 1000),
            _fai(P1, "2026-08-01", 2000),
            _fai(P1, "2026-09-01", 3000),
            _fai(P2, "2026-09-01", 500),
        ],
    ),
    (
        "hitech",
        "2026-09-15",
        [
            (
                f"{CC1}|GR202632000101",
                "upsert",
                {
                    "credit_code": CC1,
                    "certificate_no": "GR202632000101",
                    "certified_on": "2026-09-10",
                },
            )
        ],
    ),
    (
        "leads",
        "2026-09-30",
        [
            (
                "ZS2026-0001",
                "upsert",
                {
                    "lead_id": "ZS2026-0001",
                    "project_name": "共享项目",
                    "sourcing_unit": B,
                    "street_code": A,
                    "intended_investment": 20000,
                    "stage": "签约",
                    "first_contact_on": "2026-03-01",
                    "signed_on": "2026-08-15",
                },
            )
        ],
    ),
    # The September report of P2 corrected after the quarter froze on 21 October.
    ("stats_fai", "2026-10-25", [_fai(P2, "2026-09-01", 9000)]),
]


# The ledger in write_batches' short form: every batch loaded.
LEDGER = [(feed, day, "loaded", events) for feed, day, events in BATCHES]


@pytest.fixture(scope="module")
def sc(module_db: str, tmp_path_factory) -> Iterator[Settings]:
    with seeded(module_db, tmp_path_factory.mktemp("scorecard_home"), LEDGER) as settings:
        yield settings


def _night(settings: Settings, as_of: date, *extra: str) -> None:
    run_models(settings, SELECT, as_of, *extra)


_rows = query


Q3 = """select street_code, is_final, computed_on::text, major_projects, investment_wan, hitech,
               signed_leads_wan, score_major_projects, score_investment, score_hitech,
               score_signed_leads, open_gaps, penalty, score, rank, grade
        from marts.kpi_street_quarter where quarter = '2026-07-01' order by street_code"""


def _q3(settings: Settings) -> dict[str, tuple]:
    return {r[0]: r for r in _rows(settings, Q3)}


def test_unit_tests_pass(sc: Settings) -> None:
    _night(sc, date(2026, 10, 19))
    res = run_dbt(
        sc,
        [
            "test",
            "-s",
            "int_street_quarter_actuals,test_type:unit",
            "int_street_quarters_scored,test_type:unit",
        ],
        as_of=date(2026, 10, 19),
    )
    assert res.success, [(r.unique_id, r.message) for r in res.failed] or res.error
    assert len([r for r in res.results if r.unique_id.startswith("unit_test.")]) == 6


def test_final_quarter_frozen(sc: Settings) -> None:
    # 19 October: the third quarter is provisional.
    _night(sc, date(2026, 10, 19))
    before = _q3(sc)
    assert before[A][1:3] == (False, "2026-10-19")

    # 21 October, the first night on or after the 20th: final, computed that night.
    _night(sc, date(2026, 10, 21))
    frozen = _q3(sc)
    a = frozen[A]
    assert a[1:3] == (True, "2026-10-21")
    # One major project (2 ÷ 4 a quarter: capped 1.2 × 25), 6000 of 10000 万元 (0.6 × 30), one
    # certificate of 0.75 (capped, 15 × 1.2), half the shared 20000 万元 lead (10000 of 20000:
    # 0.5 × 15); its project has no milestone report: one open gap (0.2).
    assert a[3:7] == (1, Decimal(6000), 1, Decimal(10000))
    assert a[7:11] == (Decimal("30.00"), Decimal("18.00"), Decimal("18.00"), Decimal("7.50"))
    assert a[11:] == (1, Decimal("0.2"), Decimal("73.30"), 1, "合格")
    b = frozen[B]
    # B sourced the lead landing in A: the other half (0.5 × 15 × 0.5); its 8000 万元 project is
    # not a major one.
    assert b[3:7] == (0, Decimal(500), 0, Decimal(10000))
    assert b[10] == Decimal("7.50")
    ranks = [r[14] for r in frozen.values()]
    assert sorted(ranks)[:2] == [1, 2] and len(ranks) == 16
    # The fourteen streets with nothing tie at 0 and share third place.
    assert ranks.count(3) == 14

    # 24 November, after P2's September figure was corrected on 25 October: the provisional view
    # sees it, the final quarter does not.
    _night(sc, date(2026, 11, 24))
    assert _q3(sc) == frozen
    live = _rows(
        sc,
        """select investment_wan from intermediate.int_street_quarters_scored
           where quarter = '2026-07-01' and street_code = '320602002'""",
    )
    assert live == [(Decimal(9000),)]
    year = _rows(
        sc,
        f"""select quarters_final, score, rank, provisional_quarter::text,
                   provisional_quarter_score is not null
            from marts.kpi_street_year where year = 2026 and street_code = '{A}'""",
    )
    # Q1 and Q2 froze the same night with nothing but the open-gap penalty (−0.2 each).
    assert year == [(3, Decimal("72.90"), 1, "2026-10-01", True)]

    # Re-running the freezing night reproduces it; a full refresh keeps it.
    _night(sc, date(2026, 10, 21))
    assert _q3(sc) == frozen
    _night(sc, date(2026, 11, 24), "--full-refresh")
    assert _q3(sc) == frozen
    nights = _rows(
        sc,
        """select distinct computed_on::text from intermediate.int_street_quarter_finals
           order by 1""",
    )
    # The first and second quarters froze on the first night run after their 20th (19 October).
    assert nights == [("2026-10-19",), ("2026-10-21",)]
