"""Ingest of the promotion-loop feeds (leads, carriers, hitech) against a real PostgreSQL:
each bad-input class of feeds.md quarantined with its reason, the leads snapshot, raw
carrier aliases."""

from __future__ import annotations

import pytest

from ingest.load import ingest_inbox
from tests.integration.feedfiles import credit, write_csv, write_jsonl, write_xlsx

STREET = "320602001"
LEADS_ZH = [
    "线索编号",
    "项目名称",
    "投资方",
    "统一社会信用代码",
    "招引单位",
    "拟落户街道",
    "产业类别",
    "意向投资额",
    "阶段",
    "首次接洽日期",
    "签约日期",
    "项目代码",
]
CARRIERS_ZH = [
    "载体名称",
    "别名",
    "载体类型",
    "所属街道",
    "建设状态",
    "总面积(平方米)",
    "可用面积(平方米)",
    "已用面积(平方米)",
    "累计完成投资",
    "品牌等级",
    "统计期",
]
HITECH_EN = ["credit_code", "enterprise_name", "certificate_no", "certified_on", "valid_until"]


def q(conn, sql, *params):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.commit()
    return rows


def lead_row(lead_id: str = "ZS2026-0113", **over) -> list[str]:
    row = dict(
        zip(
            LEADS_ZH,
            [
                lead_id,
                "新能源电池项目",
                "江苏某新能源集团",
                credit(1),
                "zsj",
                STREET,
                "先进制造",
                "25,000",
                "签约",
                "2026-01-05",
                "2026年6月30日",
                "",
            ],
            strict=True,
        )
    )
    row.update(over)
    return list(row.values())


def carrier_row(name: str = "紫琅科技城", **over) -> list[str]:
    row = dict(
        zip(
            CARRIERS_ZH,
            [
                name,
                "紫琅科技园;紫琅科创园",
                "园区",
                STREET,
                "建成",
                "120,000",
                "80000",
                "56000",
                "35000",
                "省级",
                "2026-09",
            ],
            strict=True,
        )
    )
    row.update(over)
    return list(row.values())


def hitech_obj(cert: str = "GR202632000123", **over) -> dict:
    return {
        "credit_code": credit(1),
        "enterprise_name": "南通星河精密制造有限公司",
        "certificate_no": cert,
        "certified_on": "2026-11-06",
        "valid_until": "2029-11-05",
        **over,
    }


def _one_rejected(conn) -> tuple[str, str]:
    [(reason, detail)] = q(conn, "select reason, detail from ledger.rejected_row")
    return reason, detail


def test_good_rows_of_every_new_feed_load(conn, tmp_path):
    write_csv(
        tmp_path / "leads" / "20261116.csv",
        LEADS_ZH,
        [
            lead_row("ZS2026-0001"),
            # In talks: no signing date needed; sourced by a street, landing in another.
            lead_row("ZS2025-0002", 招引单位="320602003", 阶段="在谈", 签约日期=""),
            lead_row("ZS2026-0003", 阶段="落地", 项目代码="2024-320602-39-03-000417"),
        ],
        encoding="gb18030",
    )
    write_xlsx(tmp_path / "carriers" / "20261015.xlsx", CARRIERS_ZH, [carrier_row()])
    write_jsonl(tmp_path / "hitech" / "20261110.jsonl", [hitech_obj()])
    results = ingest_inbox(conn, tmp_path)
    assert {(r.feed, r.status, r.rows_loaded, r.rows_rejected) for r in results} == {
        ("leads", "loaded", 3, 0),
        ("carriers", "loaded", 1, 0),
        ("hitech", "loaded", 1, 0),
    }
    keys = q(conn, "select feed, natural_key from ledger.event order by feed, natural_key")
    assert keys == [
        ("carriers", "紫琅科技城|2026-09-01"),
        ("hitech", f"{credit(1)}|GR202632000123"),
        ("leads", "ZS2025-0002"),
        ("leads", "ZS2026-0001"),
        ("leads", "ZS2026-0003"),
    ]
    [(data,)] = q(
        conn,
        "select ledger.fact_values(e) from ledger.event as e where natural_key = 'ZS2026-0001'",
    )
    assert data["signed_on"] == "2026-06-30" and float(data["intended_investment"]) == 25000


@pytest.mark.parametrize(
    ("over", "reason", "column"),
    [
        ({"线索编号": "ZS26-0113"}, "unknown_code_value", "lead_id"),
        ({"线索编号": "ZS2026-113"}, "unknown_code_value", "lead_id"),
        ({"线索编号": ""}, "missing_required", "lead_id"),
        ({"项目名称": ""}, "missing_required", "project_name"),
        ({"统一社会信用代码": "91320602MA0000001X"}, "invalid_credit_code", "credit_code"),
        ({"招引单位": "市招商中心"}, "unknown_code_value", "sourcing_unit"),
        ({"招引单位": "320602099"}, "unknown_code_value", "sourcing_unit"),
        ({"招引单位": ""}, "missing_required", "sourcing_unit"),
        ({"拟落户街道": "320699001"}, "unknown_street", "street_code"),
        ({"拟落户街道": ""}, "missing_required", "street_code"),
        ({"产业类别": "房地产"}, "unknown_code_value", "industry"),
        ({"意向投资额": "0"}, "invalid_number", "intended_investment"),
        ({"意向投资额": "-500"}, "invalid_number", "intended_investment"),
        ({"意向投资额": "约2亿"}, "invalid_number", "intended_investment"),
        ({"意向投资额": ""}, "missing_required", "intended_investment"),
        ({"阶段": "洽谈中"}, "unknown_code_value", "stage"),
        ({"阶段": ""}, "missing_required", "stage"),
        ({"首次接洽日期": ""}, "missing_required", "first_contact_on"),
        ({"首次接洽日期": "2026-02-30"}, "invalid_date", "first_contact_on"),
        ({"阶段": "签约", "签约日期": ""}, "missing_required", "signed_on"),
        ({"阶段": "落地", "签约日期": ""}, "missing_required", "signed_on"),
        ({"签约日期": "2026/6/31"}, "invalid_date", "signed_on"),
        ({"项目代码": "2024-32060-39-03-000417"}, "invalid_project_code", "project_code"),
    ],
)
def test_leads_bad_row_quarantined_with_its_reason(conn, tmp_path, over, reason, column):
    write_csv(
        tmp_path / "leads" / "20261116.csv",
        LEADS_ZH,
        [lead_row("ZS2026-0001"), lead_row("ZS2026-0002", **over)],
    )
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    got, detail = _one_rejected(conn)
    assert got == reason and detail.startswith(f"{column} (")
    [(line,)] = q(conn, "select line_no from ledger.rejected_row")
    assert line == 3


@pytest.mark.parametrize(
    ("over", "reason", "column"),
    [
        ({"载体名称": ""}, "missing_required", "carrier_name"),
        ({"载体类型": "厂房"}, "unknown_code_value", "carrier_kind"),
        ({"所属街道": ""}, "missing_required", "street_code"),
        ({"所属街道": "320602099"}, "unknown_street", "street_code"),
        ({"建设状态": "已建"}, "unknown_code_value", "build_status"),
        ({"建设状态": ""}, "missing_required", "build_status"),
        ({"总面积(平方米)": "0"}, "invalid_number", "total_area_m2"),
        ({"总面积(平方米)": ""}, "missing_required", "total_area_m2"),
        ({"可用面积(平方米)": "8万"}, "invalid_number", "usable_area_m2"),
        ({"品牌等级": "区级"}, "unknown_code_value", "brand_level"),
        ({"统计期": "2026-13"}, "invalid_date", "period"),
        ({"统计期": ""}, "missing_required", "period"),
    ],
)
def test_carriers_bad_row_quarantined_with_its_reason(conn, tmp_path, over, reason, column):
    rows = [carrier_row("南通创新区"), carrier_row("崇川科创大厦", **over)]
    write_xlsx(tmp_path / "carriers" / "20261015.xlsx", CARRIERS_ZH, rows)
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    got, detail = _one_rejected(conn)
    assert got == reason and detail.startswith(f"{column} (")


@pytest.mark.parametrize(
    ("over", "reason", "column"),
    [
        ({"credit_code": ""}, "missing_required", "credit_code"),
        ({"credit_code": "91320602MA0000001X"}, "invalid_credit_code", "credit_code"),
        ({"certificate_no": ""}, "missing_required", "certificate_no"),
        ({"certified_on": ""}, "missing_required", "certified_on"),
        ({"certified_on": "2026年13月1日"}, "invalid_date", "certified_on"),
        ({"valid_until": "明年"}, "invalid_date", "valid_until"),
    ],
)
def test_hitech_bad_row_quarantined_with_its_reason(conn, tmp_path, over, reason, column):
    objects = [hitech_obj("GR202632000001"), hitech_obj("GR202632000002", **over)]
    write_jsonl(tmp_path / "hitech" / "20261110.jsonl", objects)
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    got, detail = _one_rejected(conn)
    assert got == reason and detail.startswith(f"{column} (")


@pytest.mark.parametrize(
    ("feed", "name", "header"),
    [
        ("leads", "20261116.csv", [h for h in LEADS_ZH if h != "招引单位"]),
        ("carriers", "20261015.csv", [h for h in CARRIERS_ZH if h != "建设状态"]),
        ("hitech", "20261110.csv", [h for h in HITECH_EN if h != "certificate_no"]),
    ],
)
def test_file_without_a_required_header_is_rejected_whole(conn, tmp_path, feed, name, header):
    write_csv(tmp_path / feed / name, header, [["x"] * len(header)])
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.status, result.reason) == ("rejected", "missing_header")
    assert q(conn, "select count(*) from ledger.event") == [(0,)]


def test_a_signing_date_is_only_required_of_signed_and_landed_leads(conn, tmp_path):
    rows = [
        lead_row(f"ZS2026-000{i}", 阶段=stage, 签约日期="")
        for i, stage in enumerate(("在谈", "终止", "签约", "落地"), start=1)
    ]
    write_csv(tmp_path / "leads" / "20261116.csv", LEADS_ZH, rows)
    [result] = ingest_inbox(conn, tmp_path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    found = q(conn, "select line_no, reason, raw->>'阶段' from ledger.rejected_row order by 1")
    assert found == [(4, "missing_required", "签约"), (5, "missing_required", "落地")]


def _lead_history(conn, key: str) -> list[tuple]:
    """A lead's states as derived from the snapshots delivered by the end of 2026."""
    return q(
        conn,
        "select op, delivered_on::text, (fact).stage "
        "from ledger.snapshot_history('leads', date '2026-12-31') "
        "where natural_key = %s order by delivery_rank",
        key,
    )


def test_leads_snapshot_derives_leaving_and_returning(conn, tmp_path):
    one, two = "ZS2026-0001", "ZS2026-0002"
    path = tmp_path / "leads"
    write_csv(path / "20261102.csv", LEADS_ZH, [lead_row(one), lead_row(two)])
    write_csv(path / "20261109.csv", LEADS_ZH, [lead_row(one)])
    write_csv(path / "20261116.csv", LEADS_ZH, [lead_row(one), lead_row(two, 阶段="落地")])
    results = ingest_inbox(conn, tmp_path)
    assert [r.events_added for r in results] == [2, 1, 2]  # every delivered row is a fact
    assert [tuple(r) for r in _lead_history(conn, two)] == [
        ("upsert", "2026-11-02", "签约"),
        ("leave", "2026-11-09", None),
        ("upsert", "2026-11-16", "落地"),
    ]


def test_a_quarantined_lead_does_not_leave_the_snapshot(conn, tmp_path):
    path = tmp_path / "leads"
    write_csv(path / "20261102.csv", LEADS_ZH, [lead_row("ZS2026-0001")])
    write_csv(path / "20261109.csv", LEADS_ZH, [lead_row("ZS2026-0001", 阶段="洽谈中")])
    ingest_inbox(conn, tmp_path)
    assert [r[0] for r in _lead_history(conn, "ZS2026-0001")] == ["upsert"]


def test_carriers_are_not_a_snapshot_of_keys_and_keep_aliases_raw(conn, tmp_path):
    # A quarterly list keyed by (name, period): the next quarter adds rows, nothing leaves.
    write_csv(
        tmp_path / "carriers" / "20261015.csv",
        CARRIERS_ZH,
        [
            carrier_row(),
            carrier_row("崇川科创大厦", 别名="科创大厦；崇川科创楼 ; ", 载体类型="楼宇"),
        ],
        encoding="gb18030",
    )
    write_csv(
        tmp_path / "carriers" / "20270115.csv", CARRIERS_ZH, [carrier_row(统计期="2026年12月")]
    )
    results = ingest_inbox(conn, tmp_path)
    assert [r.events_added for r in results] == [2, 1]
    assert q(conn, "select count(*) from ledger.event where op <> 'upsert'") == [(0,)]
    [(aliases,)] = q(
        conn, "select aliases from ledger.event where natural_key like '崇川科创大厦|%%'"
    )
    assert aliases == "科创大厦；崇川科创楼 ;"
