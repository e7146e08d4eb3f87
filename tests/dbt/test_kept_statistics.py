"""The planner statistics of the tables a night merges into (the tax staging table and the tax
months summed from it): a build that writes them whole samples them, and so does a night that
grows them by a tenth or more; a night that merges a few keys keeps the statistics they have
(at the province, sampling the 9.2M-row staging table read 30,000 of its pages a night)."""

from __future__ import annotations

from datetime import date

import pytest

from projledger.db import connect
from projledger.dbt_runner import run_dbt
from tests.dbt.ledger_fixture import query, run_models, seeded, write_batches

KEPT = ["stg_tax__payments", "int_tax_payer_months"]


def _tax(n: int, period: str, amount: float) -> tuple:
    code = f"91320602MA1X{n:06d}"
    data = {
        "credit_code": code,
        "period": period,
        "tax_type": "增值税",
        "amount_yuan": amount,
        "street_code": "320602001",
    }
    return (f"{code}|{period}|增值税", "upsert", data)


FIRST = [("tax", "2026-10-20", "loaded", [_tax(n, "2026-09-01", n) for n in range(2000)])]
# a few keys of a new month: sampled again, the statistics would know that month
A_FEW = [("tax", "2026-11-05", "loaded", [_tax(n, "2026-10-01", n) for n in range(3)])]
MANY = [("tax", "2026-11-12", "loaded", [_tax(n, "2026-11-01", n) for n in range(2000)])]


@pytest.fixture(scope="module")
def settings(module_db, tmp_path_factory):
    with seeded(module_db, tmp_path_factory.mktemp("statistics"), FIRST) as s:
        yield s


def _months_known(settings) -> dict[str, float]:
    """How many distinct months each kept table's statistics know of."""
    rows = query(
        settings,
        "select tablename, n_distinct from pg_stats where tablename = any(%s) "
        "and attname = 'period'",
        KEPT,
    )
    return dict(rows)


def _write(settings, batches, first_seq: int) -> None:
    conn = connect(settings)
    write_batches(conn, batches, first_seq=first_seq)
    conn.close()


def test_a_night_merging_a_few_keys_keeps_the_statistics(settings):
    run_models(settings, KEPT, date(2026, 10, 31))
    assert _months_known(settings) == {name: 1 for name in KEPT}

    _write(settings, A_FEW, first_seq=len(FIRST))
    run_models(settings, KEPT, date(2026, 11, 6))
    assert query(settings, "select count(distinct period) from staging.stg_tax__payments") == [(2,)]
    assert _months_known(settings) == {name: 1 for name in KEPT}

    _write(settings, MANY, first_seq=len(FIRST) + len(A_FEW))
    run_models(settings, KEPT, date(2026, 11, 13))
    assert _months_known(settings) == {name: 3 for name in KEPT}


LATER = [("tax", "2026-11-20", "loaded", [_tax(n, "2026-11-01", 2 * n) for n in range(3)])]


def _plan(settings, sql: str) -> str:
    return "\n".join(row[0] for row in query(settings, "explain " + sql))


def test_the_night_finds_what_its_last_read_dropped_by_index(settings):
    """The post-hook that drops the rows a night's read marked as gone (retractions, months of
    no tax) looks them up by the index of reads: the statistics know only the reads sampled
    before, and a lookup sized by them read the whole table (9.2M rows at the province)."""
    # a built state to merge into (the test above left one; alone, this builds it whole)
    run_models(settings, KEPT, date(2026, 11, 14))
    night = date(2026, 11, 21)
    _write(settings, LATER, first_seq=len(FIRST) + len(A_FEW) + len(MANY))
    run_models(settings, KEPT, night)
    for table in KEPT:
        run = run_dbt(
            settings,
            ["compile", "--inline", f"{{{{ delete_from_last_read(ref('{table}'), 'true') }}}}"],
            as_of=night,
        )
        assert run.success, run.error
        plan = _plan(settings, run.results[0].compiled_code)
        assert "Seq Scan" not in plan and "Index Scan using" in plan, plan
