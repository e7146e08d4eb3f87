"""The warehouse foundation (staging, intermediate and B-side marts) on a small hand-written
ledger with real dbt and PostgreSQL: as-of knowledge, corrections, retractions, a project leaving
the registry, quarantine routing, indicators, persisted comments, and the incremental
fct_project_month giving the same rows as a full refresh night after night."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from projledger.db import connect
from projledger.dbt_runner import run_dbt
from projledger.settings import Settings, load_settings
from tests.dbt import ledger_fixture as lf

MARTS = [
    "+dim_project",
    "+dim_street",
    "+dim_department",
    "+fct_milestone",
    "+fct_project_month",
    "+fct_land_parcel",
    "+fct_rejected_row",
    "+fct_batch",
    "+kpi_project",
    "+kpi_district",
    # Their relationship tests to dim_street are selected with dim_street.
    "+fct_lead",
    "+fct_approval",
    "+kpi_carrier",
    "+kpi_carrier_district",
]
PROJECT_MONTH = [
    "stg_registry__snapshots",
    "stg_stats_fai__reports",
    "stg_stats_enterprise__reports",
    "stg_tax__payments",
    "stg_ledger__events",
    "fct_project_month",
]


@pytest.fixture(scope="module")
def wh(module_db: str, tmp_path_factory) -> Iterator[Settings]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", module_db)
        mp.setenv("PROJLEDGER_HOME", str(tmp_path_factory.mktemp("wh_home")))
        settings = load_settings()
        conn = connect(settings)
        lf.load(conn)
        conn.close()
        # Models only (their data tests run in test_data_tests_pass); B2's rule models are
        # parents of the kpi marts.
        for args in (["seed"], ["run", "-s", *MARTS]):
            run = run_dbt(settings, args, lf.AS_OF)
            assert run.success, [(r.unique_id, r.message) for r in run.failed] or run.error
        yield settings


_rows = lf.query


def test_staging_knows_what_was_delivered_by_as_of(wh: Settings) -> None:
    # The correction of 20 Oct replaces the first report; the 1 Dec one is not known yet.
    fai = _rows(
        wh,
        "select period, month_investment from staging.stg_stats_fai__reports "
        "where project_code = %s order by period",
        lf.P_C,
    )
    assert fai == [(date(2026, 9, 1), Decimal("120")), (date(2026, 10, 1), Decimal("300"))]
    retracted = _rows(
        wh, "select count(*) from staging.stg_approvals__approvals where project_code = %s", lf.P_C
    )
    assert retracted == [(0,)]
    registry = _rows(wh, "select project_code from staging.stg_registry__projects order by 1")
    assert registry == [(lf.P_A,), (lf.P_C,)]


def test_dim_project_history(wh: Settings) -> None:
    rows = _rows(
        wh,
        """select project_code, valid_from, valid_to, is_current, in_registry,
                               version_status, planned_investment
                        from marts.dim_project order by project_code, valid_from""",
    )
    assert rows == [
        (
            lf.P_A,
            date(2026, 9, 7),
            date(2026, 11, 2),
            False,
            True,
            "in_registry",
            Decimal("50000.0"),
        ),
        (lf.P_A, date(2026, 11, 2), None, True, True, "in_registry", Decimal("60000")),
        (
            lf.P_B,
            date(2026, 10, 5),
            date(2026, 11, 2),
            False,
            False,
            "in_registry",
            Decimal("20000"),
        ),
        (lf.P_B, date(2026, 11, 2), None, True, False, "left", Decimal("20000")),
        (lf.P_C, date(2026, 10, 5), None, True, True, "in_registry", Decimal("12000")),
    ]


def test_rejected_rows_routed_to_owner(wh: Settings) -> None:
    rows = _rows(
        wh,
        "select feed, reason, line_no, owner_dept, received_on "
        "from marts.fct_rejected_row order by feed",
    )
    assert rows == [
        ("milestones", "invalid_date", 7, "320602001", date(2026, 11, 16)),
        ("tax", "rejected_file", None, "swj", date(2026, 11, 19)),
    ]


def test_milestone_delay_and_idle_land(wh: Settings) -> None:
    delays = dict(
        _rows(
            wh, "select node, delay_days from marts.fct_milestone where project_code = %s", lf.P_A
        )
    )
    assert delays == {"开工": 9, "竣工": 0, "投产": 0}
    idle = _rows(wh, "select parcel_no from marts.fct_land_parcel where is_idle")
    assert idle == [("CC2024-09",)]


def test_kpi_project(wh: Settings) -> None:
    (row,) = _rows(
        wh,
        """select land_area_mu, tax_ttm_wan, tax_per_mu_ttm, land_to_permit_days,
                                 permit_to_start_days, became_above_scale_on
                          from marts.kpi_project where project_code = %s""",
        lf.P_A,
    )
    area, tax, per_mu, land_to_permit, permit_to_start, above = row
    assert round(area, 2) == Decimal("100.00")  # 66666.7 m2
    assert tax == Decimal("195")  # (1,200,000 + 800,000 - 50,000) yuan, Sep and Oct 2026
    assert round(per_mu, 2) == Decimal("1.95")
    assert (land_to_permit, permit_to_start) == (111, 18)
    assert above == date(2026, 10, 1)


def test_kpi_district(wh: Settings) -> None:
    rows = {
        r[0]: r[1:]
        for r in _rows(
            wh,
            """
        select period, projects_in_registry, projects_started, projects_in_production,
               investment_effect
        from marts.kpi_district""",
        )
    }
    assert min(rows) == date(2026, 9, 1)  # the month of the first delivery
    assert rows[date(2026, 9, 1)] == (1, 1, 1, Decimal("0.1707"))  # (9.7M - 9.0M) / 4.1M
    assert rows[date(2026, 10, 1)] == (3, 2, 1, None)  # P_B still in the library on 31 Oct
    assert rows[date(2026, 11, 1)] == (2, 2, 1, None)


def test_data_tests_pass(wh: Settings) -> None:
    # cautious: a test also naming a mart this module does not build (a relationship from the
    # scorecard to dim_street) is not run
    args = ["test", "-s", *MARTS, "--exclude", "test_type:unit", "--indirect-selection", "cautious"]
    res = run_dbt(wh, args, lf.AS_OF)
    assert res.success, [(r.unique_id, r.message) for r in res.failed] or res.error


def test_comments_persisted(wh: Settings) -> None:
    (table_comment, column_comment) = _rows(
        wh,
        """
        select obj_description('marts.kpi_project'::regclass),
               col_description('marts.kpi_project'::regclass, 1)""",
    )[0]
    assert table_comment and column_comment == "投资项目统一代码"


def _project_month(settings: Settings) -> list[tuple]:
    return _rows(settings, "select * from marts.fct_project_month order by project_code, period")


def test_project_month_incremental_equals_full_refresh(wh: Settings) -> None:
    select = ["run", "-s", *PROJECT_MONTH]
    # Re-run the same night, rewind to an earlier one, then move past a correction.
    for night in (date(2026, 11, 24), date(2026, 10, 25), date(2026, 12, 5)):
        assert run_dbt(wh, select, night).success
        incremental = _project_month(wh)
        assert run_dbt(wh, [*select, "--full-refresh"], night).success
        assert _project_month(wh) == incremental, night
    # The 1 Dec correction is visible from that night on.
    (month,) = _rows(
        wh,
        "select month_investment from marts.fct_project_month "
        "where project_code = %s and period = '2026-09-01'",
        lf.P_C,
    )
    assert month == (Decimal("999"),)


def test_a_new_business_date_reuses_the_parse_and_reaches_the_sql(wh: Settings, tmp_path) -> None:
    """dbt keeps its parse of the project only for the same --vars: the business date goes in
    beside them, so a night on a new date parses nothing again, and its SQL still names it."""
    target = tmp_path / "target"
    saved = target / "partial_parse.msgpack"
    compiled = []
    for night in (lf.AS_OF, date(2026, 11, 25)):
        args = ["compile", "-s", "int_approvals_timed", "--target-path", str(target)]
        assert run_dbt(wh, args, night).success
        if not compiled:
            parsed_at = saved.stat().st_mtime_ns
        [sql] = target.glob("compiled/**/int_approvals_timed.sql")
        compiled.append(sql.read_text())
    assert saved.stat().st_mtime_ns == parsed_at
    assert f"date '{lf.AS_OF.isoformat()}'" in compiled[0]
    assert "date '2026-11-25'" in compiled[1] and lf.AS_OF.isoformat() not in compiled[1]
