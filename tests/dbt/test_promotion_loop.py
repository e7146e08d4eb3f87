"""The promotion loop (leads, approvals in working days, carriers) on a real PostgreSQL with real
dbt: the working-day calendar, and the path events -> staging -> rules -> marts for the new
feeds, on the small ledger of ledger_fixture plus promotion_fixture."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from projledger.calendar import SOURCE_FALLBACK, SOURCE_NOTICE, known_years, write_calendar
from projledger.db import connect
from projledger.dbt_runner import run_dbt
from projledger.settings import Settings, load_settings
from tests.dbt import ledger_fixture as lf
from tests.dbt import promotion_fixture as pf

# Working days after Monday 3 Aug 2026 up to Tuesday 24 Nov (Mid-Autumn, National Day).
PX_DAYS = 77


@pytest.fixture(scope="module")
def wh(module_db: str, tmp_path_factory) -> Iterator[Settings]:
    """The whole project built (seeds, models, data and unit tests) as of the fixture's date."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", module_db)
        mp.setenv("PROJLEDGER_HOME", str(tmp_path_factory.mktemp("promotion_home")))
        settings = load_settings()
        conn = connect(settings)
        pf.load(conn)
        conn.close()
        run = run_dbt(settings, ["build"], lf.AS_OF)
        assert run.success, [(r.unique_id, r.message) for r in run.failed] or run.error
        yield settings


_rows = lf.query


def test_calendar_follows_the_state_council_notice(wh: Settings) -> None:
    days = dict(
        _rows(
            wh,
            "select day, is_workday from ref.work_calendar where day = any(%s)",
            [date(2026, 2, 14), date(2026, 10, 5), date(2026, 10, 9), date(2026, 10, 11)],
        )
    )
    # A worked Saturday (调休) and a holiday Monday (国庆), then an ordinary Friday and Sunday.
    assert days == {
        date(2026, 2, 14): True,
        date(2026, 10, 5): False,
        date(2026, 10, 9): True,
        date(2026, 10, 11): False,
    }


def test_calendar_falls_back_to_weekdays_for_an_unknown_year(wh: Settings) -> None:
    unknown = max(known_years()) + 1
    rows = _rows(
        wh,
        """select extract(isodow from day)::int, bool_and(is_workday), bool_or(is_workday),
                  min(source), max(source)
           from ref.work_calendar where extract(year from day) = %s group by 1 order by 1""",
        unknown,
    )
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert all(r[1] and r[3] == r[4] == SOURCE_FALLBACK for r in rows[:5])
    assert all(not r[2] for r in rows[5:])
    known = _rows(
        wh,
        "select distinct source from ref.work_calendar where extract(year from day) = %s",
        max(known_years()),
    )
    assert known == [(SOURCE_NOTICE,)]


def test_calendar_rewrite_changes_nothing(wh: Settings) -> None:
    before = _rows(
        wh,
        "select count(*), md5(string_agg(day::text || is_workday::text, ','))"
        " from (select * from ref.work_calendar order by day) as cal",
    )
    conn = connect(wh)
    try:
        write_calendar(conn, lf.AS_OF.year + 1)
    finally:
        conn.close()
    after = _rows(
        wh,
        "select count(*), md5(string_agg(day::text || is_workday::text, ','))"
        " from (select * from ref.work_calendar order by day) as cal",
    )
    assert after == before


def test_leads_funnel(wh: Settings) -> None:
    rows = {
        r[0]: r[1:]
        for r in _rows(
            wh,
            """select lead_id, stage, project_code, in_ledger, days_contact_to_sign,
                      days_sign_to_registry, days_registry_to_start, street_code
               from marts.fct_lead""",
        )
    }
    # Matched by its project code: 落地 although the feed still says 在谈.
    assert rows["ZS2026-0002"][:3] == ("落地", lf.P_C, True)
    # Registered 2026-03-02, started 2026-05-20 (no signed_on: no contact-to-sign duration).
    assert rows["ZS2026-0002"][3:6] == (None, None, 79)
    # Matched by the investor's credit code: signed 2024-10-01, P_A registered 2025-01-10.
    assert rows["ZS2026-0006"][:3] == ("落地", lf.P_A, True)
    assert rows["ZS2026-0006"][3:5] == (122, 101)
    # Absent from the second snapshot: kept, out of the ledger.
    assert rows["ZS2026-0005"][:3] == ("签约", None, False)
    assert rows["ZS2026-0001"][:3] == ("签约", None, True)
    assert rows["ZS2026-0001"][6] == "320602003"


def test_approvals_in_working_days(wh: Settings) -> None:
    rows = {
        (r[0], r[1]): r[2:]
        for r in _rows(
            wh,
            """select project_code, item, status, working_days, limit_working_days,
                      over_limit_days, street_code
               from marts.fct_approval""",
        )
    }
    # Accepted on Mid-Autumn (25 Sep), pending on 24 Nov across National Day: 38 working days.
    assert rows[(lf.P_C, "建设工程规划许可证")] == ("pending", 38, 20, 18, "320602001")
    assert rows[(lf.P_A, "立项备案")] == ("decided", 0, 3, 0, "320602001")
    assert rows[(pf.P_X, "项目核准")] == ("pending", PX_DAYS, 20, PX_DAYS - 20, None)
    chain = _rows(
        wh,
        "select approval_chain_working_days from marts.kpi_project where project_code = %s",
        lf.P_A,
    )
    assert chain == [(31,)]  # 2 Jan to 20 Feb 2025, Spring Festival in between


def test_new_coverage_gaps(wh: Settings) -> None:
    gaps = {
        (r[0], r[1]): r[2:]
        for r in _rows(
            wh,
            """select rule_id, subject_key, owner_dept, feed, street_code, detail
               from marts.fct_coverage_gap
               where status = 'open' and rule_id in ('unregistered_signed_lead', 'unknown_carrier',
                                                     'missing_feed')""",
        )
    }
    assert set(gaps) == {
        # Signed 1 Aug (115 days), 20000 万元, no project in the library; the lead that left the
        # ledger and the matched ones are no gap.
        ("unregistered_signed_lead", "ZS2026-0001"),
        # A tax row of the TTM window under a carrier the list does not know; "NT大厦 " is the
        # full-width alias ＮＴ大厦 of 崇川经济开发区.
        ("unknown_carrier", "未登记楼宇"),
        # The fixture's own overdue feeds (approvals came on 23 Nov); leads (7 days) and carriers
        # (due 15 Oct) are on time and hitech is never missing.
        ("missing_feed", "registry"),
        ("missing_feed", "milestones"),
        ("missing_feed", "land"),
    }, gaps
    assert gaps[("unregistered_signed_lead", "ZS2026-0001")][:3] == (
        "320602003",
        "leads",
        "320602003",
    )
    carrier = gaps[("unknown_carrier", "未登记楼宇")]
    assert carrier[:2] == ("xmb", "carriers") and "税收 1 户" in carrier[3]


def test_new_warnings(wh: Settings) -> None:
    rows = _rows(
        wh,
        """select rule_id, coalesce(lead_id, project_code), grade, delay_days, owner_dept
           from marts.fct_project_warning where rule_id in ('lead_stalled', 'approval_overdue')
           order by 1, 2""",
    )
    assert rows == [
        ("approval_overdue", lf.P_C, "yellow", 18, "spj"),
        # Over twice its limit of 20 working days: red, and routed to 行政审批局 although the
        # project is in no street's library.
        ("approval_overdue", pf.P_X, "red", PX_DAYS - 20, "spj"),
        # 419 days of talks: red, routed to the street that brought the lead.
        ("lead_stalled", "ZS2025-0004", "red", 239, "320602005"),
        # 327 days of talks: yellow, routed to 招商局.
        ("lead_stalled", "ZS2026-0003", "yellow", 147, "zsj"),
    ]


def test_carriers(wh: Settings) -> None:
    (row,) = _rows(
        wh,
        """select street_code, build_status, vacancy_rate, projects_in_registry, taxpayers,
                  tax_ttm_wan, tax_per_m2_ttm_yuan, relocated_in, aliases
           from marts.kpi_carrier where carrier_name = '崇川经济开发区'""",
    )
    # 1 - 60000 / 80000; P_A in the library on 30 Sep (P_C registered in October's snapshot);
    # the 60000 元 paid under the alias in September, per occupied m².
    assert row == (
        "320602001",
        "建成",
        Decimal("0.2500"),
        1,
        1,
        Decimal("6.000000"),
        Decimal("1.00"),
        0,
        ["崇川开发区", "ＮＴ大厦"],
    )
    assert _rows(
        wh,
        "select vacancy_rate from marts.kpi_carrier where carrier_name = '在建楼宇甲'",
    ) == [(None,)]
    district = _rows(
        wh,
        """select period, built_count, built_area_m2, built_usable_m2, building_count,
                  building_area_m2, planned_count, planned_area_m2, available_area_m2
           from marts.kpi_carrier_district""",
    )
    assert district == [(date(2026, 9, 1), 1, 100000, 80000, 1, 50000, 1, 30000, 160000)]


def test_district_indicators(wh: Settings) -> None:
    rows = {
        r[0]: r[1:]
        for r in _rows(
            wh,
            """select period, coverage_rate, approval_chain_median_days, leads_in_talks,
                      leads_signed
               from marts.kpi_district""",
        )
    }
    # November: 2 registry projects, open unregistered_project gap of the blank-code parcel and
    # the signed lead: 2 / (2 + 2).
    assert rows[date(2026, 11, 1)][0] == Decimal("0.5000"), rows
    # P_A's permit was granted in February 2025 (before the first delivery): no month shows it.
    assert all(r[1] is None for r in rows.values())
    # In talks on 24 Nov: ZS2026-0003 and ZS2025-0004 (ZS2026-0002 is matched, 落地); signed:
    # ZS2026-0001 and ZS2026-0006 (the lead that left the ledger is not counted).
    assert rows[date(2026, 11, 1)][2:] == (2, 2)


def test_hitech_staged(wh: Settings) -> None:
    assert _rows(wh, "select credit_code, certified_on from staging.stg_hitech__certificates") == [
        (lf.CC_A, date(2026, 10, 30))
    ]


def test_street_code_on_street_visible_marts(wh: Settings) -> None:
    for table in ("fct_lead", "fct_approval", "kpi_carrier"):
        assert _rows(
            wh,
            "select count(*) from information_schema.columns"
            " where table_schema = 'marts' and table_name = %s and column_name = 'street_code'",
            table,
        ) == [(1,)]
