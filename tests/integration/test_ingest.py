"""Ingest against a real PostgreSQL: formats, encodings, quarantine, idempotence, event
semantics, as-of reads."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

import psycopg2
import pytest

from ingest.identifiers import CREDIT_ALPHABET, credit_check_char
from ingest.load import ingest_inbox
from tests.integration.feedfiles import credit, write_csv, write_jsonl, write_xlsx

TAX_ZH = [
    "纳税人识别号",
    "纳税人名称",
    "税款所属期",
    "税种",
    "实缴税额(元)",
    "入库日期",
    "所属街道",
    "载体",
]
TAX_EN = [
    "credit_code",
    "taxpayer_name",
    "period",
    "tax_type",
    "amount_yuan",
    "paid_on",
    "street_code",
    "carrier",
]
REG_ZH = [
    "项目代码",
    "项目名称",
    "建设单位统一社会信用代码",
    "所属街道",
    "产业类别",
    "项目类型",
    "载体",
    "计划总投资",
    "计划开工日期",
    "计划竣工日期",
    "计划投产日期",
    "入库日期",
    "承诺亩均税收",
]
STREET = "320602001"


def q(conn, sql, *params):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.commit()
    return rows


def reg_row(code: str, name: str = "智能装备项目", invest: str = "52,000", **over) -> list:
    row = dict(
        zip(
            REG_ZH,
            [
                code,
                name,
                credit(1),
                STREET,
                "先进制造",
                "工业",
                "紫琅科技园",
                invest,
                "2025-03-01",
                "2026/12/31",
                "2027年3月1日",
                "20250115",
                "30",
            ],
            strict=True,
        )
    )
    row.update(over)
    return list(row.values())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_every_encoding_with_chinese_headers(conn, tmp_path, encoding):
    write_csv(
        tmp_path / "tax" / "20261020.csv",
        TAX_ZH,
        [
            [
                credit(1),
                "南通星河精密制造有限公司",
                "2026年9月",
                "增值税",
                "1,234,567.89",
                "2026/10/15",
                STREET,
                "紫琅科技园",
            ]
        ],
        encoding=encoding,
    )
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.status, result.rows_loaded, result.events_added) == ("loaded", 1, 1)
    [(name, period, amount, extra)] = q(
        conn, "select taxpayer_name, period, amount_yuan, extra from ledger.event"
    )
    assert name == "南通星河精密制造有限公司"
    assert period == date(2026, 9, 1)
    assert amount == Decimal("1234567.89")
    assert extra is None  # every column known to the contract


def test_xlsx_with_date_cells_serials_and_shuffled_columns(conn, tmp_path):
    header = ["计划总投资", *REG_ZH[:7], *REG_ZH[8:]]
    row = reg_row("2024-320602-39-03-000417")
    row = [row[7], *row[:7], *row[8:]]
    row[header.index("计划开工日期")] = datetime(2025, 3, 1)
    row[header.index("入库日期")] = 45672  # an Excel serial: 2025-01-15
    write_xlsx(tmp_path / "registry" / "20261019.xlsx", header, [row])
    [result] = ingest_inbox(conn, tmp_path)
    assert result.status == "loaded" and result.rows_rejected == 0
    [(data,)] = q(conn, "select ledger.fact_values(e) from ledger.event as e")
    assert data["planned_start"] == "2025-03-01"
    assert data["registered_on"] == "2025-01-15"
    assert data["planned_production"] == "2027-03-01"
    assert float(data["planned_investment"]) == 52000


def test_xlsx_cells_with_quotes_tabs_newlines_and_backslashes_load_verbatim(conn, tmp_path):
    name = '南通"星河"\t精密\n制造\\N 有限公司'
    row = reg_row("2024-320602-39-03-000417", 项目名称=name)
    row[REG_ZH.index("载体")] = ""  # an empty cell is blank, as in a CSV delivery
    write_xlsx(tmp_path / "registry" / "20261019.xlsx", [*REG_ZH, "备注"], [[*row, "a\\b"]])
    [result] = ingest_inbox(conn, tmp_path)
    assert result.status == "loaded" and result.rows_rejected == 0
    [(project_name, carrier, extra)] = q(
        conn, "select project_name, carrier, extra from ledger.event"
    )
    assert (project_name, carrier, extra) == (name, None, {"备注": "a\\b"})


def test_jsonl_with_english_keys_and_an_unknown_column_kept(conn, tmp_path):
    write_jsonl(
        tmp_path / "approvals" / "20261020.jsonl",
        [
            {
                "project_code": "2024-320602-39-03-000417",
                "project_name": "智能装备项目",
                "credit_code": credit(1),
                "item": "立项备案",
                "accepted_on": "2026-10-01",
                "decided_on": "20261010",
                "result": "准予",
                "total_investment": 52000,
                "window_clerk": "张三",
            },
        ],
    )
    [result] = ingest_inbox(conn, tmp_path)
    assert result.status == "loaded"
    [(key, decided_on, extra, line)] = q(
        conn, "select natural_key, decided_on, extra, line_no from ledger.event"
    )
    assert key == "2024-320602-39-03-000417|立项备案"
    assert decided_on == date(2026, 10, 10) and line == 1
    assert extra == {"window_clerk": "张三"}


def test_every_quarantine_reason_with_its_line_and_raw_values(conn, tmp_path):
    ok = "2024-320602-39-03-000417"
    exception = "91350203M0001QAY9B"
    rows = [
        reg_row(ok),  # line 2
        reg_row("2024-320602-39-03-000418", 建设单位统一社会信用代码=exception),  # 3: exception
        reg_row("2024-320602-39-03-000419", 建设单位统一社会信用代码="91320602MA0000001X"),
        reg_row("2024-32060-39-03-000420"),  # 5
        reg_row("2024-320602-39-03-000421", 计划开工日期="2025-02-30"),  # 6
        reg_row("2024-320602-39-03-000422", invest="5千万"),  # 7
        reg_row("2024-320602-39-03-000423", 项目名称=""),  # 8
        reg_row("2024-320602-39-03-000424", 所属街道="320602099"),  # 9
        reg_row("2024-320602-39-03-000425", 产业类别="房地产"),  # 10
        reg_row("2024-320602-39-03-000426", invest="0"),  # 11
    ]
    write_csv(tmp_path / "registry" / "20261019.csv", REG_ZH, rows, encoding="gb18030")
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.rows_total, result.rows_loaded, result.rows_rejected) == (10, 2, 8)
    found = q(conn, "select line_no, reason, raw->>'项目代码' from ledger.rejected_row order by 1")
    assert [(line, reason) for line, reason, _ in found] == [
        (4, "invalid_credit_code"),
        (5, "invalid_project_code"),
        (6, "invalid_date"),
        (7, "invalid_number"),
        (8, "missing_required"),
        (9, "unknown_street"),
        (10, "unknown_code_value"),
        (11, "invalid_number"),
    ]
    assert found[0][2] == "2024-320602-39-03-000419"
    [(detail,)] = q(conn, "select detail from ledger.rejected_row where line_no = 6")
    assert "planned_start" in detail and "2025-02-30" in detail


def test_file_missing_a_required_header_is_rejected_whole(conn, tmp_path):
    write_csv(
        tmp_path / "tax" / "20261020.csv",
        TAX_ZH[1:],
        [["甲", "2026-09", "增值税", "1", "", STREET, ""]],
    )
    [result] = ingest_inbox(conn, tmp_path)
    assert result.status == "rejected" and result.reason == "missing_header"
    assert q(conn, "select count(*) from ledger.event") == [(0,)]
    [(status, detail)] = q(conn, "select status, detail from ledger.batch")
    assert status == "rejected" and "纳税人识别号" in detail


def test_undecodable_file_is_rejected(conn, tmp_path):
    path = tmp_path / "tax" / "20261020.csv"
    write_csv(path, TAX_EN, [[credit(1), "x", "2026-09", "增值税", "1", "", STREET, ""]])
    path.write_bytes(path.read_bytes() + b"\xff\xfe\xfa\xff,\x80\x80\n")
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.status, result.reason) == ("rejected", "undecodable")


@pytest.mark.parametrize("tail", ["gb18030", "neither"])
def test_bytes_of_another_encoding_found_in_a_later_chunk(conn, tmp_path, monkeypatch, tail):
    """The encoding is sniffed from the file's head, and checked block by block as the rows
    stream: a GB18030 file whose first Chinese comes late is read again as GB18030 (the rows
    already sent taken back); one that is neither is rejected whole."""
    from ingest import frames, readers

    monkeypatch.setattr(readers, "SNIFF_BYTES", 200)
    monkeypatch.setattr(frames, "_BLOCK_BYTES", 300)
    # ASCII only in the sniffed head (its rows' tax type is quarantined: no matter here)
    rows = [[credit(i + 1), f"E{i}", "2026-09", "VAT", "1", "", STREET, ""] for i in range(6)]
    rows += [
        [credit(i + 7), f"企业{i}", "2026-09", "增值税", "1", "", STREET, ""] for i in range(2)
    ]
    path = write_csv(tmp_path / "tax" / "20261020.csv", TAX_EN, rows, encoding="gb18030")
    if tail == "neither":
        path.write_bytes(path.read_bytes() + b"\xff\xfe\xfa\xff,\x80\x80\n")

    [result] = ingest_inbox(conn, tmp_path)

    if tail == "neither":
        assert (result.status, result.reason) == ("rejected", "undecodable")
        assert q(conn, "select count(*) from ledger.event") == [(0,)]
    else:
        assert (result.status, result.rows_total) == ("loaded", 8)
        assert q(conn, "select taxpayer_name from ledger.event where line_no > 7 order by 1") == [
            ("企业0",),
            ("企业1",),
        ]


def test_same_file_twice_loads_once_and_a_rerun_is_a_no_op(conn, tmp_path):
    rows = [[credit(i), "甲", "2026-09", "增值税", str(i), "", STREET, ""] for i in range(1, 6)]
    first = write_csv(tmp_path / "tax" / "20261020.csv", TAX_EN, rows)
    (tmp_path / "tax" / "20261020_2.csv").write_bytes(first.read_bytes())
    results = ingest_inbox(conn, tmp_path)
    assert [r.status for r in results] == ["loaded", "duplicate"]
    before = q(
        conn, "select (select count(*) from ledger.event), (select count(*) from ledger.batch)"
    )
    again = ingest_inbox(conn, tmp_path)
    assert {r.status for r in again} == {"skipped"}
    assert (
        q(conn, "select (select count(*) from ledger.event), (select count(*) from ledger.batch)")
        == before
    )
    assert before == [(5, 2)]


def _current(conn, feed: str, as_of: str) -> list[tuple]:
    return q(
        conn,
        "select natural_key, op, ledger.fact_values(fact) from ledger.current_events(%s, %s) "
        "order by 1",
        feed,
        date.fromisoformat(as_of),
    )


def test_every_row_is_a_fact_and_the_state_is_derived_as_of_a_date(conn, tmp_path):
    def tax_file(day: str, rows):
        write_csv(tmp_path / "tax" / f"{day}.csv", TAX_ZH + ["状态"], rows)

    a, b = credit(1), credit(2)
    tax_file(
        "20261020",
        [
            [a, "甲", "2026-09", "增值税", "100", "", STREET, "", ""],
            [b, "乙", "2026-09", "增值税", "200", "", STREET, "", ""],
        ],
    )
    tax_file(
        "20261021",
        [
            [a, "甲", "2026-09", "增值税", "100.00", "", STREET, "", ""],  # unchanged
            [b, "乙", "2026-09", "增值税", "250", "", STREET, "", ""],
        ],
    )  # corrected
    tax_file("20261022", [[a, "甲", "2026-09", "增值税", "", "", STREET, "", "作废"]])  # void
    results = ingest_inbox(conn, tmp_path)
    # No lookup against the store at load time: every good row is stored.
    assert [r.events_added for r in results] == [2, 2, 1]

    def amounts(as_of: str) -> list[tuple]:
        return [
            (key.split("|")[0], op, data.get("amount_yuan"))
            for key, op, data in _current(conn, "tax", as_of)
        ]

    assert amounts("2026-10-20") == [(a, "upsert", 100), (b, "upsert", 200)]
    assert amounts("2026-10-21") == [(a, "upsert", 100), (b, "upsert", 250)]
    assert amounts("2026-10-22") == [(a, "retract", None), (b, "upsert", 250)]
    # a retraction names its key and carries no other value
    [(_, _, voided)] = [row for row in _current(conn, "tax", "2026-10-22") if row[1] == "retract"]
    assert voided == {"credit_code": a, "period": "2026-09-01", "tax_type": "增值税"}
    # What changed when is derived too: the unchanged re-send of `a` is no change.
    changes = q(
        conn,
        "select split_part(natural_key, '|', 1), op, (fact).amount_yuan::text, "
        "delivered_on::text "
        "from ledger.changes('tax', date '2026-12-31') order by delivery_rank, natural_key",
    )
    assert changes == [
        (a, "upsert", "100", "2026-10-20"),
        (b, "upsert", "200", "2026-10-20"),
        (b, "upsert", "250", "2026-10-21"),
        (a, "retract", None, "2026-10-22"),
    ]


def _history(conn, key: str, as_of: str = "2026-12-31") -> list[tuple]:
    rows = q(
        conn,
        "select op, delivered_on::text from ledger.snapshot_history('registry', %s) "
        "where natural_key = %s order by delivery_rank",
        date.fromisoformat(as_of),
        key,
    )
    return [tuple(r) for r in rows]


def test_registry_snapshots_derive_leaving_and_returning(conn, tmp_path):
    one, two = "2024-320602-39-03-000001", "2024-320602-39-03-000002"
    write_csv(tmp_path / "registry" / "20261012.csv", REG_ZH, [reg_row(one), reg_row(two)])
    write_csv(tmp_path / "registry" / "20261019.csv", REG_ZH, [reg_row(one)])
    write_csv(tmp_path / "registry" / "20261026.csv", REG_ZH, [reg_row(one), reg_row(two)])
    results = ingest_inbox(conn, tmp_path)
    assert [r.events_added for r in results] == [2, 1, 2]
    assert _history(conn, two) == [
        ("upsert", "2026-10-12"),
        ("leave", "2026-10-19"),
        ("upsert", "2026-10-26"),
    ]
    assert _history(conn, one) == [("upsert", "2026-10-12")]  # unchanged re-sends
    assert [k for k, *_ in _current(conn, "registry", "2026-10-19")] == [one]
    assert [k for k, *_ in _current(conn, "registry", "2026-10-26")] == [one, two]


def test_a_quarantined_row_does_not_make_its_project_leave_the_registry(conn, tmp_path):
    one = "2024-320602-39-03-000001"
    write_csv(tmp_path / "registry" / "20261012.csv", REG_ZH, [reg_row(one)])
    write_csv(
        tmp_path / "registry" / "20261019.csv", REG_ZH, [reg_row(one, 计划开工日期="2025-13-01")]
    )
    ingest_inbox(conn, tmp_path)
    assert _history(conn, one) == [("upsert", "2026-10-12")]
    [(key, op, data)] = _current(conn, "registry", "2026-10-19")
    assert (key, op, data["planned_start"]) == (one, "upsert", "2025-03-01")


def test_a_registry_snapshot_equal_to_an_older_one_loads_and_to_the_last_one_is_a_duplicate(
    conn, tmp_path
):
    one, two = "2024-320602-39-03-000001", "2024-320602-39-03-000002"
    first = write_csv(tmp_path / "registry" / "20261012.csv", REG_ZH, [reg_row(one)])
    write_csv(tmp_path / "registry" / "20261019.csv", REG_ZH, [reg_row(one), reg_row(two)])
    (tmp_path / "registry" / "20261026.csv").write_bytes(first.read_bytes())
    (tmp_path / "registry" / "20261102.csv").write_bytes(first.read_bytes())
    results = ingest_inbox(conn, tmp_path)
    assert [r.status for r in results] == ["loaded", "loaded", "loaded", "duplicate"]
    assert _history(conn, two) == [("upsert", "2026-10-19"), ("leave", "2026-10-26")]
    assert [k for k, *_ in _current(conn, "registry", "2026-11-02")] == [one]


def test_as_of_read_by_delivery_date(conn, tmp_path):
    a = credit(1)
    write_csv(
        tmp_path / "tax" / "20261020.csv",
        TAX_EN,
        [[a, "甲", "2026-09", "增值税", "100", "", STREET, ""]],
    )
    write_csv(
        tmp_path / "tax" / "20261105.csv",
        TAX_EN,
        [[a, "甲", "2026-09", "增值税", "90", "", STREET, ""]],
    )
    ingest_inbox(conn, tmp_path)
    as_of = """select amount_yuan::text from (
                 select distinct on (natural_key) amount_yuan, op from ledger.event
                 where feed = 'tax' and delivered_on <= %s
                 order by natural_key, delivered_on desc, event_id desc) v where op = 'upsert'"""
    assert q(conn, as_of, date(2026, 10, 19)) == []
    assert q(conn, as_of, date(2026, 10, 31)) == [("100",)]
    assert q(conn, as_of, date(2026, 11, 30)) == [("90",)]


def test_ragged_rows_load_through_the_fallback_reader(conn, tmp_path):
    path = tmp_path / "tax" / "20261020.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        ",".join(TAX_EN) + "\n"
        f"{credit(1)},甲,2026-09,增值税,100,,{STREET},\n"
        f"{credit(2)},乙,2026-09,增值税,100\n"  # short: padded with blanks
        f"{credit(3)},丙,2026-09,增值税,100,,{STREET},园区,多余\n"  # long: surplus kept in raw
    )
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.rows_total, result.rows_loaded) == (3, 3)
    [(extra,)] = q(conn, "select extra from ledger.event where line_no = 4")
    assert extra == {f"_surplus_{len(TAX_EN) + 1}": "多余"}


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_blank_lines_found_in_a_later_chunk_are_skipped_and_counted(
    conn, tmp_path, monkeypatch, line_end
):
    """A blank line is no row, but its line is counted, wherever it falls: here after chunks
    of rows have already streamed to the store (they are taken back, then read again)."""
    from ingest import frames

    monkeypatch.setattr(frames, "_BLOCK_BYTES", 300)  # a chunk of two or three rows
    rows = [
        ",".join([credit(i + 1), f"企业{i}", "2026-09", "增值税", "100", "", STREET, ""])
        for i in range(8)
    ]
    lines = [",".join(TAX_EN), *rows[:6], "", *rows[6:], ""]
    path = tmp_path / "tax" / "20261020.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(line_end.join(lines).encode() + line_end.encode())  # and one at the end

    [result] = ingest_inbox(conn, tmp_path)

    assert (result.rows_total, result.rows_loaded, result.rows_rejected) == (8, 8, 0)
    assert q(conn, "select line_no from ledger.event order by 1") == [
        (n,) for n in (2, 3, 4, 5, 6, 7, 9, 10)
    ]


def test_amounts_with_thousands_separators_read_as_the_sql_parser_reads_them(
    conn, tmp_path, monkeypatch
):
    """Amounts grouped by thousands, as some tax exports write every one, are read in the
    checks and never sent to the SQL parsers (a province file holds millions of distinct
    ones); they read as ledger.parse_number reads them. Other odd forms still go to SQL."""
    from ingest.side import SideConnection

    sent: list[str] = []
    parse = SideConnection.parse

    def recorded(self, parser, values):
        if "parse_number" in parser:
            sent.extend(values)
        return parse(self, parser, values)

    monkeypatch.setattr(SideConnection, "parse", recorded)
    amounts = ["2,258,667.53", "1,000", "0,123", "12,345.60", "1,000.00", "1,23", "+1,000", "7"]
    rows = [
        [credit(i + 1), f"企业{i}", "2026-09", "增值税", amount, "2026-10-15", STREET, ""]
        for i, amount in enumerate(amounts)
    ]
    write_csv(tmp_path / "tax" / "20261020.csv", TAX_ZH, rows)

    [result] = ingest_inbox(conn, tmp_path)

    assert sorted(sent) == ["+1,000", "1,23"]
    expected = q(
        conn,
        "select n + 1, ledger.parse_number(a)::text from unnest(%s::text[]) "
        "with ordinality as t (a, n)",
        amounts,
    )
    loaded = q(conn, "select line_no, amount_yuan::text from ledger.event order by 1")
    assert loaded == [row for row in expected if row[1] is not None]
    assert (result.rows_loaded, result.rows_rejected) == (7, 1)


def test_values_first_seen_in_a_later_chunk_are_read_by_the_parsers(conn, tmp_path, monkeypatch):
    """The SQL parsers read each distinct value when the first chunk holding it streams (no
    pass over the file comes first)."""
    from ingest import frames

    monkeypatch.setattr(frames, "_BLOCK_BYTES", 300)  # a chunk of two or three rows
    cells = [
        ("2026-09", "100", "2026-10-15"),
        ("2026-09", "100", "2026-10-15"),
        ("2026-09", "100", "2026-10-15"),
        ("2026-09", "100", "2026-10-15"),
        ("2026年8月", "1,234.50", "2026/9/15"),  # odd forms, first seen here
        ("2026-09", "100", "2026-10-15"),
        ("2026.7", "2,000", "2026年8月15日"),
        ("2026-09", "100", "2026-02-30"),  # no such date: quarantined
        ("2026年8月", "1,234.50", "2026/9/15"),  # seen before
    ]
    rows = [
        [credit(i + 1), f"企业{i}", period, "增值税", amount, paid, STREET, ""]
        for i, (period, amount, paid) in enumerate(cells)
    ]
    write_csv(tmp_path / "tax" / "20261020.csv", TAX_ZH, rows)

    [result] = ingest_inbox(conn, tmp_path)

    assert (result.rows_total, result.rows_loaded, result.rows_rejected) == (9, 8, 1)
    loaded = q(conn, "select line_no, period, amount_yuan, paid_on from ledger.event order by 1")
    assert [row for row in loaded if row[0] in (6, 8, 10)] == [
        (6, date(2026, 8, 1), Decimal("1234.5"), date(2026, 9, 15)),
        (8, date(2026, 7, 1), Decimal("2000"), date(2026, 8, 15)),
        (10, date(2026, 8, 1), Decimal("1234.5"), date(2026, 9, 15)),
    ]
    assert q(conn, "select line_no, reason from ledger.rejected_row") == [(9, "invalid_date")]


def test_a_batch_takes_its_ids_in_blocks_that_follow_its_lines(conn, tmp_path):
    """The loader gives the ids, a block of the sequence's increment for each value the
    sequence gives (migration 023): they follow a batch's lines and never meet another
    batch's, nor the id a row got from the sequence by default."""
    rows = [
        [credit(i + 1), f"企业{i}", "2026-09", "增值税", "100", "2026-10-15", STREET, ""]
        for i in range(2500)
    ]
    rows[1200][2] = "2026-13"  # quarantined: a line without a fact
    write_csv(tmp_path / "a" / "tax" / "20261020.csv", TAX_ZH, rows)
    ingest_inbox(conn, tmp_path / "a")
    with conn.cursor() as cur:
        cur.execute(
            "insert into ledger.event (feed, batch_id, delivered_on, natural_key, op, period) "
            "select 'tax', batch_id, delivered_on, 'k', 'retract', date '2026-09-01' "
            "from ledger.batch"
        )
    conn.commit()
    write_csv(tmp_path / "b" / "tax" / "20261021.csv", TAX_ZH, rows[:1500])
    ingest_inbox(conn, tmp_path / "b")

    facts = q(conn, "select batch_id, line_no, event_id from ledger.event")
    assert len(facts) == 2499 + 1 + 1499
    assert len({event_id for _, _, event_id in facts}) == len(facts)
    for batch in {batch_id for batch_id, _, _ in facts}:
        ids = [i for b, line, i in sorted(facts, key=lambda f: f[1] or 0) if b == batch and line]
        assert ids == sorted(ids)


def test_event_store_is_append_only(conn, tmp_path):
    write_csv(
        tmp_path / "tax" / "20261020.csv",
        TAX_EN,
        [[credit(1), "甲", "2026-09", "增值税", "1", "", STREET, ""]],
    )
    ingest_inbox(conn, tmp_path)
    for statement in (
        "update ledger.event set op = 'retract'",
        "delete from ledger.batch",
        "truncate ledger.rejected_row",
    ):
        with pytest.raises(Exception, match="append-only"), conn.cursor() as cur:
            cur.execute(statement)
        conn.rollback()


def test_a_quarantined_row_must_name_a_batch_of_the_ledger(conn, tmp_path):
    write_csv(
        tmp_path / "tax" / "20261020.csv",
        TAX_EN,
        [[credit(1), "甲", "2026-09", "增值税", "1", "", STREET, ""], ["x", "乙"]],
    )
    [result] = ingest_inbox(conn, tmp_path)
    assert result.rows_rejected == 1
    with pytest.raises(psycopg2.errors.ForeignKeyViolation), conn.cursor() as cur:
        cur.execute(
            "insert into ledger.rejected_row (batch_id, feed, line_no, reason) "
            "select batch_id + 1, feed, 9, 'invalid_date' from ledger.batch"
        )
        conn.commit()
    conn.rollback()
    assert q(conn, "select count(*) from ledger.rejected_row") == [(1,)]


def test_the_store_keeps_only_upserts_and_retractions_with_ids_it_gives(conn):
    """What the nightly build no longer reads every event to test: the store refuses a stored
    `leave` (leaving is derived when reading) or any op else, and an event id given by hand."""
    columns = "(feed, batch_id, delivered_on, natural_key, op)"
    for statement, refusal in (
        (
            f"insert into ledger.event {columns} values ('tax', 1, '2026-10-20', 'k', 'leave')",
            "event_op_check",
        ),
        (
            f"insert into ledger.event {columns} values ('tax', 1, '2026-10-20', 'k', 'delete')",
            "event_op_check",
        ),
        (
            "insert into ledger.event (event_id, feed, batch_id, delivered_on, natural_key, op) "
            "values (1, 'tax', 1, '2026-10-20', 'k', 'upsert')",
            "event_id",
        ),
    ):
        with pytest.raises(psycopg2.Error, match=refusal), conn.cursor() as cur:
            cur.execute(statement)
        conn.rollback()


def test_bulk_identifier_checks_agree_with_the_reference_implementation():
    import polars as pl

    from ingest.checks import credit_codes_ok
    from ingest.feeds.contracts import PROJECT_CODE_PATTERN
    from ingest.identifiers import credit_code_ok, project_code_ok

    rng = random.Random(3)
    codes = ["", "91320602MA1XXXXXXX", "9132060", "91320602ma0000000y"]
    for i in range(2000):
        first17 = "".join(rng.choice(CREDIT_ALPHABET) for _ in range(17))
        codes.append(
            first17 + (credit_check_char(first17) if i % 2 else rng.choice(CREDIT_ALPHABET))
        )
    exceptions = frozenset({codes[5]})
    bulk = credit_codes_ok(pl.Series(codes), exceptions).to_list()
    assert bulk == [credit_code_ok(code, exceptions) for code in codes]
    assert 900 < sum(bulk) < 1100
    projects = ["2024-320602-39-03-000417", "2024-32060-39-03-000417", "2024-320602-39-03-00041"]
    bulk = pl.Series(projects).str.contains(PROJECT_CODE_PATTERN).to_list()
    assert bulk == [project_code_ok(p) for p in projects]


def test_the_store_has_a_typed_column_for_every_contract_column(conn):
    from ingest.feeds import contracts as c

    types = {c.DATE: "date", c.PERIOD: "date", c.NUMBER: "numeric"}
    stored = dict(
        q(
            conn,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'ledger' and table_name = 'event'",
        )
    )
    for feed in c.FEEDS.values():
        for col in feed.columns:
            assert stored.get(col.name) == types.get(col.kind, "text"), (feed.name, col.name)


def test_a_snapshot_is_a_change_of_a_project_only_where_a_typed_value_changed(conn, tmp_path):
    """The same values written another way (52,000 and 52000.00) are no change; a change in any
    column, the last one included, is."""
    one = "2024-320602-39-03-000001"
    write_csv(tmp_path / "registry" / "20261012.csv", REG_ZH, [reg_row(one)])
    write_csv(tmp_path / "registry" / "20261019.csv", REG_ZH, [reg_row(one, invest="52000.00")])
    write_csv(tmp_path / "registry" / "20261026.csv", REG_ZH, [reg_row(one, 承诺亩均税收="31")])
    ingest_inbox(conn, tmp_path)
    assert _history(conn, one) == [("upsert", "2026-10-12"), ("upsert", "2026-10-26")]


def test_what_changed_compares_every_typed_column_of_the_store(conn):
    """ledger.fact_row, the values "changed" compares, is generated from the store's columns:
    a migration adding a column must generate it again (ledger.define_fact_row())."""
    from ingest.feeds import contracts as c

    compared = {
        name
        for (name,) in q(
            conn,
            "select a.attname from pg_attribute as a where a.attrelid = 'ledger.fact_row'::regclass"
            " and a.attnum > 0 and not a.attisdropped",
        )
    }
    assert compared == {col.name for feed in c.FEEDS.values() for col in feed.columns}


def test_a_retraction_stored_without_its_key_gets_its_keys_period(conn, tmp_path):
    """Retractions stored before they named their key are given their key's period by the
    migration (the night's merge reads a key's facts from its period's blocks only)."""
    from projledger.db.migrate import MIGRATIONS_DIR

    a = credit(1)
    write_csv(
        tmp_path / "tax" / "20261020.csv",
        TAX_ZH + ["状态"],
        [[a, "甲", "2026-09", "增值税", "100", "", STREET, "", ""]],
    )
    write_csv(
        tmp_path / "tax" / "20261022.csv",
        TAX_ZH + ["状态"],
        [[a, "甲", "2026-09", "增值税", "", "", STREET, "", "作废"]],
    )
    ingest_inbox(conn, tmp_path)
    with conn.cursor() as cur:
        cur.execute("alter table ledger.event disable trigger event_append_only")
        cur.execute(
            "update ledger.event set credit_code = null, period = null, tax_type = null "
            "where op = 'retract'"
        )
        cur.execute("alter table ledger.event enable trigger event_append_only")
        cur.execute((MIGRATIONS_DIR / "014_retraction_periods.sql").read_text())
    assert q(conn, "select op, period::text from ledger.event order by event_id") == [
        ("upsert", "2026-09-01"),
        ("retract", "2026-09-01"),
    ]
