"""A small hand-written event store: a few deliveries per feed with the cases the warehouse must
handle (a correction delivered after the month it corrects, a retraction, a project leaving the
registry, a quarantined row, a rejected file). Written straight into the ledger tables so the
dbt tests do not depend on the ingest or the generator."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from psycopg2 import sql

from ingest.feeds.contracts import FEEDS
from projledger.db import connect
from projledger.dbt_runner import run_dbt
from projledger.settings import Settings, load_settings

P_A = "2024-320602-39-03-000001"  # industrial, in the registry, in production
P_B = "2024-320602-39-03-000002"  # leaves the registry in the second snapshot
P_C = "2025-320602-39-03-000003"  # service project, under construction
CC_A = "91320602MA1X000001"
CC_C = "91320602MA1X000003"


def _registry(
    code: str, name: str, credit: str, kind: str, investment: float, **dates: str
) -> dict:
    return {
        "project_code": code,
        "project_name": name,
        "credit_code": credit,
        "street_code": "320602001",
        "industry": "先进制造",
        "project_kind": kind,
        "carrier": "崇川经济开发区",
        "planned_investment": investment,
        "committed_tax_per_mu": 30 if kind == "工业" else None,
        **dates,
    }


A_V1 = _registry(
    P_A,
    "甲项目",
    CC_A,
    "工业",
    50000,
    planned_start="2025-03-01",
    planned_completion="2026-06-30",
    planned_production="2026-09-01",
    registered_on="2025-01-10",
)
A_V2 = {**A_V1, "planned_investment": 60000}
B_V1 = _registry(
    P_B,
    "乙项目",
    "91320602MA1X000002",
    "工业",
    20000,
    planned_start="2026-01-01",
    planned_completion="2027-06-30",
    planned_production="2027-09-01",
    registered_on="2025-06-01",
)
C_V1 = _registry(
    P_C,
    "丙项目",
    CC_C,
    "服务业",
    12000,
    planned_start="2026-05-01",
    planned_completion="2027-04-30",
    planned_production="2027-06-01",
    registered_on="2026-03-02",
)

# (feed, file_name, delivered_on, status, reason, rows as (natural_key, op, data), rejected rows)
Batch = tuple[str, str, str, str, str | None, list[tuple[str, str, dict | None]], list[tuple]]

BATCHES: list[Batch] = [
    # The same values as the next snapshot, written differently (50000.0): not a new version.
    (
        "registry",
        "20260907.xlsx",
        "2026-09-07",
        "loaded",
        None,
        [(P_A, "upsert", {**A_V1, "planned_investment": 50000.0})],
        [],
    ),
    (
        "registry",
        "20261005.xlsx",
        "2026-10-05",
        "loaded",
        None,
        [(P_A, "upsert", A_V1), (P_B, "upsert", B_V1), (P_C, "upsert", C_V1)],
        [],
    ),
    (
        "registry",
        "20261102.xlsx",
        "2026-11-02",
        "loaded",
        None,
        [(P_A, "upsert", A_V2), (P_C, "upsert", C_V1)],  # a full snapshot: P_B is absent
        [],
    ),
    (
        "milestones",
        "20261116.csv",
        "2026-11-16",
        "loaded",
        None,
        [
            (
                f"{P_A}|开工",
                "upsert",
                {
                    "project_code": P_A,
                    "node": "开工",
                    "planned_date": "2025-03-01",
                    "actual_date": "2025-03-10",
                    "reported_on": "2026-11-16",
                },
            ),
            (
                f"{P_A}|竣工",
                "upsert",
                {
                    "project_code": P_A,
                    "node": "竣工",
                    "planned_date": "2026-06-30",
                    "actual_date": "2026-06-20",
                    "reported_on": "2026-11-16",
                },
            ),
            (
                f"{P_A}|投产",
                "upsert",
                {
                    "project_code": P_A,
                    "node": "投产",
                    "planned_date": "2026-09-01",
                    "actual_date": "2026-08-15",
                    "reported_on": "2026-11-16",
                },
            ),
            (
                f"{P_C}|开工",
                "upsert",
                {
                    "project_code": P_C,
                    "node": "开工",
                    "planned_date": "2026-05-01",
                    "actual_date": "2026-05-20",
                    "reported_on": "2026-11-16",
                },
            ),
            (
                f"{P_C}|竣工",
                "upsert",
                {
                    "project_code": P_C,
                    "node": "竣工",
                    "planned_date": "2027-04-30",
                    "actual_date": None,
                    "reported_on": "2026-11-16",
                },
            ),
        ],
        [
            (
                7,
                "invalid_date",
                "planned_date: 2026-13-01",
                {"项目代码": P_C, "计划完成日期": "2026-13-01"},
            )
        ],
    ),
    (
        "approvals",
        "20261110.jsonl",
        "2026-11-10",
        "loaded",
        None,
        [
            (
                f"{P_A}|施工许可证",
                "upsert",
                {
                    "project_code": P_A,
                    "item": "施工许可证",
                    "result": "准予",
                    "accepted_on": "2025-01-20",
                    "decided_on": "2025-02-20",
                    "credit_code": CC_A,
                },
            ),
            (
                f"{P_C}|立项备案",
                "upsert",
                {
                    "project_code": P_C,
                    "item": "立项备案",
                    "result": "准予",
                    "decided_on": "2026-02-01",
                    "total_investment": 12000,
                },
            ),
        ],
        [],
    ),
    (
        "approvals",
        "20261111.jsonl",
        "2026-11-11",
        "loaded",
        None,
        [(f"{P_C}|立项备案", "retract", None)],
        [],
    ),
    (
        "land",
        "20261109.xlsx",
        "2026-11-09",
        "loaded",
        None,
        [
            (
                "CC2024-01",
                "upsert",
                {
                    "parcel_no": "CC2024-01",
                    "project_code": P_A,
                    "credit_code": CC_A,
                    "street_code": "320602001",
                    "land_use": "工业",
                    "area_m2": 66666.7,
                    "contract_signed_on": "2024-11-01",
                    "agreed_start": "2025-03-01",
                    "actual_start": "2025-03-10",
                },
            ),
            (
                "CC2024-09",
                "upsert",
                {
                    "parcel_no": "CC2024-09",
                    "project_code": None,
                    "credit_code": "91320602MA1X000009",
                    "street_code": "320602002",
                    "land_use": "工业",
                    "area_m2": 20000,
                    "contract_signed_on": "2024-06-01",
                    "agreed_start": "2024-12-01",
                },
            ),
        ],
        [],
    ),
    (
        "stats_fai",
        "20261008.csv",
        "2026-10-08",
        "loaded",
        None,
        [
            (
                f"{P_C}|2026-09-01",
                "upsert",
                {
                    "project_code": P_C,
                    "period": "2026-09-01",
                    "month_investment": 100,
                    "cumulative_investment": 2000,
                },
            ),
        ],
        [],
    ),
    (
        "stats_fai",
        "20261020.csv",
        "2026-10-20",
        "loaded",
        None,
        [
            (
                f"{P_C}|2026-09-01",
                "upsert",
                {
                    "project_code": P_C,
                    "period": "2026-09-01",
                    "month_investment": 120,
                    "cumulative_investment": 2020,
                },
            ),
        ],
        [],
    ),
    (
        "stats_fai",
        "20261109.csv",
        "2026-11-09",
        "loaded",
        None,
        [
            (
                f"{P_C}|2026-10-01",
                "upsert",
                {
                    "project_code": P_C,
                    "period": "2026-10-01",
                    "month_investment": 300,
                    "cumulative_investment": 2320,
                },
            ),
        ],
        [],
    ),
    (
        "stats_enterprise",
        "20261109.csv",
        "2026-11-09",
        "loaded",
        None,
        [
            (
                f"{CC_A}|2026-10-01",
                "upsert",
                {
                    "credit_code": CC_A,
                    "period": "2026-10-01",
                    "output_value": 5000,
                    "revenue": 5200,
                    "above_scale": "是",
                },
            ),
        ],
        [],
    ),
    (
        "stats_gdp",
        "20261020.csv",
        "2026-10-20",
        "loaded",
        None,
        [
            (
                "2025-09-01",
                "upsert",
                {"period": "2025-09-01", "gdp": 9000000, "fixed_asset_investment": 4000000},
            ),
            (
                "2026-09-01",
                "upsert",
                {"period": "2026-09-01", "gdp": 9700000, "fixed_asset_investment": 4100000},
            ),
        ],
        [],
    ),
    (
        "tax",
        "20261018.csv",
        "2026-10-18",
        "loaded",
        None,
        [
            (
                f"{CC_A}|2026-09-01|增值税",
                "upsert",
                {
                    "credit_code": CC_A,
                    "period": "2026-09-01",
                    "tax_type": "增值税",
                    "amount_yuan": 1200000,
                },
            ),
        ],
        [],
    ),
    (
        "tax",
        "20261118.csv",
        "2026-11-18",
        "loaded",
        None,
        [
            (
                f"{CC_A}|2026-10-01|增值税",
                "upsert",
                {
                    "credit_code": CC_A,
                    "period": "2026-10-01",
                    "tax_type": "增值税",
                    "amount_yuan": 800000,
                },
            ),
            (
                f"{CC_A}|2026-10-01|企业所得税",
                "upsert",
                {
                    "credit_code": CC_A,
                    "period": "2026-10-01",
                    "tax_type": "企业所得税",
                    "amount_yuan": -50000,
                },
            ),
        ],
        [],
    ),
    ("tax", "20261119.csv", "2026-11-19", "rejected", "missing_required_header", [], []),
    # Delivered after the as_of of the tests: must not be visible on earlier nights.
    (
        "stats_fai",
        "20261201.csv",
        "2026-12-01",
        "loaded",
        None,
        [
            (
                f"{P_C}|2026-09-01",
                "upsert",
                {
                    "project_code": P_C,
                    "period": "2026-09-01",
                    "month_investment": 999,
                    "cumulative_investment": 2899,
                },
            ),
        ],
        [],
    ),
]


def insert_event(cur, feed, batch_id, delivered, line_no, key, op, data: dict | None) -> None:
    """One event; its values go to the typed columns named for them, typed by the store. A
    retraction given no values names its key, as ingest stores it."""
    if op == "retract" and not data:
        data = dict(zip(FEEDS[feed].key, key.split("|"), strict=True))
    names = list(data or {})
    cur.execute(
        sql.SQL(
            "insert into ledger.event (feed, batch_id, delivered_on, line_no, natural_key, "
            "op{columns}) select %s, %s, %s, %s, %s, %s{values} "
            "from jsonb_populate_record(null::ledger.event, %s::jsonb) as v"
        ).format(
            columns=sql.SQL("").join(sql.SQL(", {}").format(sql.Identifier(n)) for n in names),
            values=sql.SQL("").join(sql.SQL(", v.{}").format(sql.Identifier(n)) for n in names),
        ),
        (feed, batch_id, delivered, line_no, key, op, json.dumps(data or {}, ensure_ascii=False)),
    )


def load(conn: Any) -> None:
    """Insert the batches, events and quarantined rows (one transaction)."""
    load_batches(conn, BATCHES)


def load_batches(conn: Any, batches: list[Batch], first_seq: int = 0) -> None:
    """Insert batches, their events and quarantined rows (one transaction)."""
    with conn.cursor() as cur:
        for seq, (feed, file_name, delivered, status, reason, rows, rejected) in enumerate(
            batches, start=first_seq
        ):
            cur.execute(
                """insert into ledger.batch (feed, file_name, sha256, delivered_on, status, reason,
                       rows_total, rows_loaded, rows_rejected, events_added, snapshot)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning batch_id""",
                (
                    feed,
                    file_name,
                    f"sha{seq:04d}",
                    delivered,
                    status,
                    reason,
                    len(rows) + len(rejected),
                    len(rows),
                    len(rejected),
                    len(rows),
                    FEEDS[feed].snapshot,
                ),
            )
            batch_id = cur.fetchone()[0]
            for line_no, (key, op, data) in enumerate(rows, start=2):
                insert_event(cur, feed, batch_id, delivered, line_no, key, op, data)
            for line_no, why, detail, raw in rejected:
                cur.execute(
                    """insert into ledger.rejected_row
                           (batch_id, feed, line_no, reason, detail, raw)
                       values (%s, %s, %s, %s, %s, %s)""",
                    (batch_id, feed, line_no, why, detail, json.dumps(raw, ensure_ascii=False)),
                )
    conn.commit()


AS_OF = date(2026, 11, 24)


def write_batches(
    conn: Any, batches: list[tuple[str, str, str, list[tuple]]], first_seq: int = 0
) -> None:
    """Insert batches given as (feed, delivered_on, status, events), events as
    (natural_key, op, data): the short form the rule tests write their ledgers in. A later
    call passes a first_seq past the earlier ones' (file names and contents stay distinct)."""
    with conn.cursor() as cur:
        for seq, (feed, delivered, status, events) in enumerate(batches, start=first_seq):
            cur.execute(
                """insert into ledger.batch (feed, file_name, sha256, delivered_on, status,
                       rows_total, rows_loaded, events_added, snapshot)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning batch_id""",
                (
                    feed,
                    f"{delivered.replace('-', '')}_{seq}.csv",
                    f"sha{seq:04d}",
                    delivered,
                    status,
                    len(events),
                    len(events),
                    len(events),
                    FEEDS[feed].snapshot,
                ),
            )
            batch_id = cur.fetchone()[0]
            for line_no, (key, op, data) in enumerate(events, start=2):
                insert_event(cur, feed, batch_id, delivered, line_no, key, op, data)
    conn.commit()


@contextmanager
def seeded(module_db: str, home: Path, batches: list[tuple[str, str, str, list[tuple]]]):
    """Settings for a module's database holding `batches` (write_batches' short form) and the
    seeds; DATABASE_URL and PROJLEDGER_HOME are set while the module's tests run."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", module_db)
        mp.setenv("PROJLEDGER_HOME", str(home))
        settings = load_settings()
        conn = connect(settings)
        write_batches(conn, batches)
        conn.close()
        seeded_run = run_dbt(settings, ["seed"])
        assert seeded_run.success, seeded_run.error
        yield settings


def run_models(settings: Settings, select: list[str], as_of: date, *extra: str) -> None:
    """`dbt run` of the selected models as of a night; fails the test with dbt's messages."""
    res = run_dbt(settings, ["run", "-s", *select, *extra], as_of=as_of)
    assert res.success, (res.error, [(r.unique_id, r.message) for r in res.failed])


def query(settings: Settings, sql: str, *params: Any) -> list[tuple]:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params or None)
            return cur.fetchall()
    finally:
        conn.close()
