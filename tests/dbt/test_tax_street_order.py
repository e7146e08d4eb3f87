"""A certified enterprise with no registry project counts for the street of its latest tax row,
latest by delivery, never by load: two tax files delivered the same day name different streets
for the same month, and the one delivered second was loaded first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from projledger.db import connect
from projledger.settings import Settings
from tests.dbt.ledger_fixture import query, run_models, seeded, write_batches

A, B = "320602001", "320602002"
CC = "91320602MA1X000301"


def _tax(tax_type: str, street: str) -> tuple:
    data = {
        "credit_code": CC,
        "taxpayer_name": "南通某科技有限公司",
        "period": "2026-09-01",
        "tax_type": tax_type,
        "amount_yuan": 1000,
        "paid_on": "2026-10-08",
        "street_code": street,
    }
    return (f"{CC}|2026-09-01|{tax_type}", "upsert", data)


CERTIFICATE = {"credit_code": CC, "certificate_no": "GR202632000301", "certified_on": "2026-09-10"}

# Delivered on 9 October as 20261009_1.csv (street B) after 20261009_0.csv (street A), but
# loaded before it.
LOADED_FIRST = [
    ("hitech", "2026-09-15", "loaded", [(f"{CC}|GR202632000301", "upsert", CERTIFICATE)]),
    ("tax", "2026-10-09", "loaded", [_tax("企业所得税", B)]),
]
LOADED_LATER = [("tax", "2026-10-09", "loaded", [_tax("增值税", A)])]


@pytest.fixture(scope="module")
def ts(module_db: str, tmp_path_factory) -> Iterator[Settings]:
    with seeded(module_db, tmp_path_factory.mktemp("tax_street_home"), LOADED_FIRST) as settings:
        conn = connect(settings)
        write_batches(conn, LOADED_LATER, first_seq=0)
        conn.close()
        yield settings


def test_the_street_is_the_latest_delivered_tax_rows_not_the_last_loaded(ts: Settings) -> None:
    [(first, second)] = query(
        ts,
        "select (select file_name from ledger.batch where batch_id = min(e.batch_id)), "
        "(select file_name from ledger.batch where batch_id = max(e.batch_id)) "
        "from ledger.event as e where e.feed = 'tax'",
    )
    assert (first, second) == ("20261009_1.csv", "20261009_0.csv")  # the load order

    run_models(ts, ["+int_street_quarter_actuals"], date(2026, 10, 12))

    counted = query(
        ts,
        "select street_code, hitech from intermediate.int_street_quarter_actuals "
        "where quarter = '2026-07-01' and hitech > 0",
    )
    assert counted == [(B, 1)]
