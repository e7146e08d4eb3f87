"""The facts' binary COPY (ingest/binary_copy.py) against the server's own reading of the same
values: an amount's bytes read as its text reads, every feed's columns travel in the type the
store keeps them in, and a stream cut short keeps nothing."""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa
import pytest
from pgpq import ArrowToPostgresBinaryEncoder

from ingest import binary_copy
from ingest.binary_copy import fact_schema, numeric_payload
from ingest.feeds.contracts import FEEDS
from ingest.load import ingest_inbox
from tests.integration.feedfiles import credit, write_csv
from tests.integration.test_ingest import TAX_ZH

# As the checks type amounts: plain decimals, a sign only from ledger.parse_number.
AMOUNTS = [
    "0",
    "0.5",
    "0.0001",
    "0.00001",
    "7",
    "10000",
    "12345.67",
    "-3",
    "-0.25",
    "99999999.9999",
    "1234567890123456",  # 16 digits, four groups
    "000123.5",
    None,
]
# Too long for a 64-bit integer when scaled: a chunk holding one is read digit by digit.
LONG = ["1234567890123456.5", "123456789012345678901234567890.123456789"]


@pytest.mark.parametrize("amounts", [AMOUNTS, AMOUNTS + LONG], ids=["int64", "long"])
def test_amounts_read_by_the_server_as_their_text_reads(conn, amounts):
    """Each amount's bytes, received by numeric's own function in a binary COPY, are the
    number its text is, with the same scale (how it prints)."""
    column = pa.schema([("v", pa.binary())])
    encoder = ArrowToPostgresBinaryEncoder(column)
    batch = pa.RecordBatch.from_arrays(
        [numeric_payload(pl.Series(amounts, dtype=pl.String))], schema=column
    )
    stream = b"".join(
        bytes(part)
        for part in (encoder.write_header(), encoder.write_batch(batch), encoder.finish())
    )
    with conn.cursor() as cur:
        cur.execute("create temp table amounts (i serial, v numeric)")
        cur.copy_expert("copy amounts (v) from stdin with (format binary)", io.BytesIO(stream))
        cur.execute(
            "select a.v::text, t.v::numeric::text from amounts as a "
            "join unnest(%s::text[]) with ordinality as t (v, i) on t.i = a.i order by a.i",
            (amounts,),
        )
        read = cur.fetchall()
    assert len(read) == len(amounts)
    assert [got for got, _ in read] == [want for _, want in read]


_PG_TYPE = {
    pa.string_view(): "text",
    pa.date32(): "date",
    pa.int64(): "bigint",
    pa.int32(): "integer",
}


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_every_column_travels_in_the_stores_type(conn, feed):
    with conn.cursor() as cur:
        cur.execute(
            "select attname, format_type(atttypid, atttypmod) from pg_attribute "
            "where attrelid = 'ledger.event'::regclass and attnum > 0 and not attisdropped"
        )
        stored = dict(cur.fetchall())
    numbers = {col.name for col in FEEDS[feed].columns if col.kind == "number"}
    for field in fact_schema(FEEDS[feed]):
        if field.name == "extra":
            wanted = "jsonb"
        elif field.name in numbers:
            wanted = "numeric"
        else:
            wanted = _PG_TYPE[field.type]
        assert (field.name, stored[field.name]) == (field.name, wanted)


def test_amounts_and_dates_read_back_as_delivered(conn, tmp_path):
    rows = [
        [credit(i), f"企业{i}", "2026年9月", "增值税", amount, "2026/10/15", "320602001", ""]
        for i, amount in enumerate(
            ["1,234,567.89", "-12.50", "+3", ".5", "0.000", "98765432109876543210.0123"]
        )
    ]
    write_csv(tmp_path / "tax" / "20261020.csv", TAX_ZH, rows)
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.rows_loaded, result.rows_rejected) == (6, 0)
    with conn.cursor() as cur:
        cur.execute(
            "select amount_yuan::text, period::text, paid_on::text, carrier, extra "
            "from ledger.event order by line_no"
        )
        got = cur.fetchall()
    amounts = ["1234567.89", "-12.5", "3", "0.5", "0", "98765432109876543210.0123"]
    assert [r[0] for r in got] == amounts
    assert {r[1:] for r in got} == {("2026-09-01", "2026-10-15", None, None)}


def test_a_stream_cut_short_keeps_nothing(conn, tmp_path, monkeypatch):
    """The binary format's end is optional: a stream that stops early (here, pgpq's last rows
    dropped with the trailer) is no error to the server, which keeps the rows it got. The
    load counts what the server took and fails the batch instead."""
    rows = [
        [credit(i), f"企业{i}", "2026-09", "增值税", "1", "2026-10-15", "320602001", ""]
        for i in range(3)
    ]
    write_csv(tmp_path / "tax" / "20261020.csv", TAX_ZH, rows)
    monkeypatch.setattr(binary_copy.FactEncoder, "trailer", lambda self: b"\xff\xff")
    with pytest.raises(RuntimeError, match="took 0 of 3 facts"):
        ingest_inbox(conn, tmp_path)
    with conn.cursor() as cur:
        cur.execute(
            "select (select count(*) from ledger.event), (select count(*) from ledger.batch)"
        )
        assert cur.fetchone() == (0, 0)
