"""The GX checks on good and bad staged data, the coverage checks listing every failing key,
the delivery row-count band, crash isolation, stored results and the Data Docs site."""

from __future__ import annotations

from datetime import date, timedelta

from expectations.checkpoints import data_docs_index, run_checks
from expectations.history import latest_results
from projledger.cli import main
from projledger.db import connect
from tests.checks import warehouse as w

AS_OF = date(2026, 11, 24)


def _failed(results) -> dict[str, object]:
    return {r.check_name: r for r in results if not r.success}


def test_good_then_bad_data(settings):
    conn = connect(settings)
    w.load_ref(conn)
    w.load_staging(conn)
    w.create_marts(conn)
    # Tax deliveries: six usual months, then one with half its usual rows.
    w.add_batches(conn, "tax", [(date(2026, m, 20), 1000 + m) for m in range(4, 10)])
    w.add_batches(conn, "registry", [(AS_OF - timedelta(days=7 * k), 300) for k in range(5)])

    results = run_checks(settings, AS_OF)
    assert _failed(results) == {}
    suites = {r.suite for r in results}
    assert {
        f"feed_{f}"
        for f in (
            "registry",
            "land",
            "tax",
            "milestones",
            "approvals",
            "stats_fai",
            "stats_enterprise",
            "stats_gdp",
        )
    } <= suites
    names = {r.check_name for r in results}
    assert {
        "deliveries.latest_delivery_rows_tax",
        "deliveries.latest_delivery_rows_registry",
    } <= names
    assert len([n for n in names if n.startswith("coverage.")]) == 9
    # The Data Docs site links a page for each of tonight's suites.
    site = data_docs_index(settings).read_text(encoding="utf-8")
    assert all(f"validations/{s}/" in site for s in suites)

    w.load_staging(conn, bad=True)
    w.add_batches(conn, "tax", [(date(2026, 10, 20), 500)])
    for i in range(250):  # more than GX's default sample of 20 (and its cap of 200)
        w.add_gap(
            conn,
            f"gap-{i}",
            "missing_fai_report",
            "tjj",
            AS_OF - timedelta(days=3),
            project_code=f"2024-320602-39-03-{i:06d}",
            period=date(2026, 10, 1),
        )
    w.add_gap(
        conn,
        "gap-old",
        "missing_fai_report",
        "tjj",
        AS_OF - timedelta(days=30),
        project_code=w.P1,
        period=date(2026, 9, 1),
        resolved_on=AS_OF - timedelta(days=2),
    )
    results = run_checks(settings, AS_OF)
    failed = _failed(results)
    keys = {name: set(map(str, r.failing_keys)) for name, r in failed.items()}
    assert keys["feed_registry.expect_column_values_to_match_regex.project_code"] == {
        "2024-3206-BAD"
    }
    # Credit codes: one with a letter outside the alphabet, one a character short.
    assert "2024-3206-BAD" in keys["feed_registry.expect_column_values_to_match_regex.credit_code"]
    short = f"{w.SHORT_CREDIT_CODE}|2026-09-01|增值税"
    tax_credit = [k for n, k in keys.items() if n.startswith("feed_tax.") and "credit" in n]
    assert tax_credit and set().union(*tax_credit) == {short}
    assert "feed_registry.expect_column_values_to_be_in_set.street_code" in keys
    assert "feed_registry.expect_column_values_to_be_in_set.industry" in keys
    assert "feed_registry.expect_column_values_to_be_between.planned_investment" in keys
    assert keys["feed_land.expect_column_values_to_be_between.area_m2"] == {"Z-02"}
    assert keys["feed_milestones.expect_column_values_to_be_in_set.node"] == {f"{w.P2}|发射"}
    assert keys["feed_milestones.expect_column_values_to_be_between.actual_date"] == {
        f"{w.P2}|发射"
    }
    # Negative tax (a refund) is not a finding.
    assert not [n for n in failed if n.startswith("feed_tax") and "credit_code" not in n]
    band = failed["deliveries.latest_delivery_rows_tax"]
    assert band.failing_keys == ["tax/20261020.csv"]
    fai = failed["coverage.missing_fai_report"]
    assert fai.unexpected == 250 and len(fai.failing_keys) == 250
    assert f"{w.P1}|2026-09" not in fai.failing_keys  # resolved before as_of

    stored = {r["check_name"]: r for r in latest_results(conn, AS_OF)}
    assert len(stored) == len(results)
    assert len(stored[fai.check_name]["failing_keys"]) == 250
    with conn.cursor() as cur:
        cur.execute(
            "select count(distinct run_id) from quality.check_result where run_date = %s", (AS_OF,)
        )
        assert cur.fetchone()[0] == 2  # both runs kept; the view shows the latest
    conn.close()


def test_a_crashing_check_does_not_stop_the_others(settings, capsys):
    conn = connect(settings)
    w.load_ref(conn)
    w.load_staging(conn)
    w.create_marts(conn)
    with conn.cursor() as cur:
        cur.execute("drop table staging.stg_tax__payments")
    conn.commit()
    results = run_checks(settings, AS_OF)
    crashed = [r for r in results if r.error]
    assert {r.suite for r in crashed} == {"feed_tax"}
    assert "stg_tax__payments" in crashed[0].error and not crashed[0].success
    assert any(r.suite == "feed_registry" and r.success for r in results)
    assert any(r.suite == "coverage" for r in results)
    conn.close()
    # The command line says so too: a check that could not run is a failed command.
    assert main(["checks", "--as-of", AS_OF.isoformat()]) == 1
    assert "could not run" in capsys.readouterr().out
