"""The tax staging table is kept incrementally: a night merges in the keys touched by what
arrived since the last build, and the tax months summed from it (int_tax_payer_months) the
enterprise months of those keys. Whatever arrives in whatever order (a change, a retraction, a file
dated before the last night but loaded after it, a file dated ahead of the night), and whatever
the order of the nights (a replay of an earlier date), the table equals the full derivation
from the event store as of that night."""

from __future__ import annotations

from datetime import date

import pytest

from projledger.db import connect
from tests.dbt.ledger_fixture import query, run_models, seeded, write_batches

CC = "91320602MA1X0000{:02d}"


def _tax(n: int, period: str, amount: float, carrier: str | None = None) -> tuple:
    data = {
        "credit_code": CC.format(n),
        "period": period,
        "tax_type": "增值税",
        "amount_yuan": amount,
        "street_code": "320602001",
        "carrier": carrier,
    }
    return (f"{CC.format(n)}|{period}|增值税", "upsert", data)


def _void(n: int, period: str) -> tuple:
    return (f"{CC.format(n)}|{period}|增值税", "retract", None)


FIRST = [("tax", "2026-10-20", "loaded", [_tax(n, "2026-09-01", 100 * n) for n in range(1, 6)])]
LATER = [
    # a change that also moves the enterprise's month to a carrier, and a new key
    (
        "tax",
        "2026-11-05",
        "loaded",
        [_tax(1, "2026-09-01", 150, "紫琅科技园"), _tax(6, "2026-10-01", 60)],
    ),
    ("tax", "2026-11-06", "loaded", [_void(2, "2026-09-01")]),
    # dated before the first night, loaded after it
    ("tax", "2026-10-25", "loaded", [_tax(3, "2026-09-01", 333)]),
    # dated ahead of the second night: known only from its date
    ("tax", "2026-12-01", "loaded", [_tax(1, "2026-09-01", 180)]),
]
VOID_LATE = [("tax", "2026-11-04", "loaded", [_void(1, "2026-09-01")])]
# a retraction stored before retractions named their key: its period only (migration 014)
VOID_OLD = [
    (
        "tax",
        "2026-11-07",
        "loaded",
        [(f"{CC.format(5)}|2026-09-01|增值税", "retract", {"period": "2026-09-01"})],
    )
]
COLUMNS = (
    "natural_key, credit_code, period, tax_type, amount_yuan, event_id, batch_id, delivered_on"
)


@pytest.fixture(scope="module")
def settings(module_db, tmp_path_factory):
    with seeded(module_db, tmp_path_factory.mktemp("incremental"), FIRST) as s:
        yield s


def _staged(settings) -> list[tuple]:
    return query(settings, f"select {COLUMNS} from staging.stg_tax__payments order by 1")


def _derived(settings, as_of: date) -> list[tuple]:
    """The full derivation from the store: every key's current fact, retractions dropped."""
    return query(
        settings,
        "select natural_key, (fact).credit_code, (fact).period, (fact).tax_type, "
        "(fact).amount_yuan, event_id, batch_id, delivered_on "
        "from ledger.current_events('tax', %s) where op = 'upsert' order by 1",
        as_of,
    )


# The tax months as kept, and as summed from the staged rows.
PAYER_MONTHS = (
    "select credit_code, period, carrier_folded, carrier, amount_yuan, payments"
    " from intermediate.int_tax_payer_months order by 1, 2, 3"
)
SUMMED = (
    "select credit_code, period, carrier_folded, min(carrier), sum(amount_yuan), count(*)"
    " from staging.stg_tax__payments group by 1, 2, 3 order by 1, 2, 3"
)


def _build(settings, as_of: date) -> list[tuple]:
    """The staged rows after a night; the tax months kept beside them must equal their sums."""
    run_models(settings, ["stg_tax__payments", "int_tax_payer_months"], as_of)
    assert query(settings, PAYER_MONTHS) == query(settings, SUMMED)
    return _staged(settings)


def test_nights_in_any_order_equal_the_full_derivation(settings):
    first_night = date(2026, 10, 31)
    assert _build(settings, first_night) == _derived(settings, first_night)
    assert len(_staged(settings)) == 5

    conn = connect(settings)
    write_batches(conn, LATER, first_seq=len(FIRST))
    conn.close()

    night = date(2026, 11, 10)
    staged = _build(settings, night)
    assert staged == _derived(settings, night)
    amounts = {key.split("|")[0][-2:]: float(amount) for key, _, _, _, amount, *_ in staged}
    # the change, the retraction, the late file and the new key; not the file dated ahead
    assert amounts == {"01": 150, "03": 333, "04": 400, "05": 500, "06": 60}
    # only touched keys were rewritten: the others still carry the first night's read
    untouched = query(
        settings,
        "select built_as_of from staging.stg_tax__payments where credit_code = %s",
        CC.format(4),
    )
    assert untouched == [(first_night,)]
    untouched = query(
        settings,
        "select built_as_of from intermediate.int_tax_payer_months where credit_code = %s",
        CC.format(4),
    )
    assert untouched == [(first_night,)]

    assert _build(settings, night) == staged  # a re-run is a no-op

    # A retraction dated before the change it would undo, loaded after that change was merged:
    # the later delivery stands.
    conn = connect(settings)
    write_batches(conn, VOID_LATE, first_seq=len(FIRST) + len(LATER))
    conn.close()
    assert _build(settings, night) == _derived(settings, night) == staged

    conn = connect(settings)
    write_batches(conn, VOID_OLD, first_seq=len(FIRST) + len(LATER) + len(VOID_LATE))
    conn.close()
    assert _build(settings, night) == _derived(settings, night) == staged[:-2] + staged[-1:]

    ahead = date(2026, 12, 2)
    assert _build(settings, ahead) == _derived(settings, ahead)
    assert [float(r[4]) for r in _staged(settings) if r[1] == CC.format(1)] == [180]

    replay = date(2026, 10, 22)  # an earlier night than the last build
    assert _build(settings, replay) == _derived(settings, replay)
    assert len(_staged(settings)) == 5
