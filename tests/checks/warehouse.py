"""A small warehouse made with plain SQL for the checks and alerts tests: the reference seeds
(schema ref, from dbt_project/seeds), staged feeds as tables (schema staging) and the marts the
digests read (columns per warehouse.md). The real chain (dbt building these) is the e2e test's."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from psycopg2.extras import Json, execute_values

from projledger.calendar import known_years, write_calendar

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

P1 = "2024-320602-39-03-000417"
P2 = "2024-320602-39-03-000418"
P3 = "2025-320602-39-03-000001"
C1 = "91320602MA1XXXXX0A"  # shape only: the check character is ingest's business
C2 = "91320602MA1YYYYY1B"
SHORT_CREDIT_CODE = "91320602MA1YYYYY1"
STREET_A = "320602001"  # 和平桥街道
STREET_B = "320602002"  # 任港街道


def load_ref(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("create schema if not exists ref")
        for name in (
            "streets",
            "departments",
            "industries",
            "milestone_nodes",
            "approval_items",
            "owner_routing",
        ):
            with open(SEEDS / f"{name}.csv", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            header, body = rows[0], rows[1:]
            cols = ", ".join(
                f"{c} {'integer' if c.startswith(('seq', 'quota')) else 'text'}" for c in header
            )
            cur.execute(f"drop table if exists ref.{name}; create table ref.{name} ({cols})")
            body = [[v if v != "" else None for v in r] for r in body]
            execute_values(cur, f"insert into ref.{name} values %s", body)
    conn.commit()
    # The working-day calendar the runner writes before every build (known years only, so the
    # calendar check passes for the tests' as_of).
    write_calendar(conn, max(known_years()))


STAGING_DDL = {
    "stg_registry__projects": "natural_key text, project_code text, project_name text,"
    " credit_code text, street_code text, industry text, project_kind text, carrier text,"
    " planned_investment numeric, planned_start date, planned_completion date,"
    " planned_production date, registered_on date, committed_tax_per_mu numeric",
    "stg_milestones__milestones": "natural_key text, project_code text, node text,"
    " planned_date date, actual_date date, reported_on date, note text",
    "stg_approvals__approvals": "natural_key text, project_code text, project_name text,"
    " credit_code text, item text, accepted_on date, decided_on date, result text,"
    " total_investment numeric",
    "stg_land__parcels": "natural_key text, parcel_no text, project_code text, credit_code text,"
    " street_code text, land_use text, area_m2 numeric, contract_signed_on date, price numeric,"
    " agreed_start date, agreed_completion date, actual_start date, actual_completion date",
    "stg_stats_fai__reports": "natural_key text, project_code text, period date,"
    " month_investment numeric, cumulative_investment numeric",
    "stg_stats_enterprise__reports": "natural_key text, credit_code text, period date,"
    " output_value numeric, revenue numeric, above_scale text",
    "stg_stats_gdp__quarters": "natural_key text, period date, gdp numeric,"
    " fixed_asset_investment numeric",
    "stg_tax__payments": "natural_key text, credit_code text, taxpayer_name text, period date,"
    " tax_type text, amount_yuan numeric, paid_on date, street_code text, carrier text",
    "stg_leads__leads": "natural_key text, lead_id text, project_name text, investor text,"
    " credit_code text, sourcing_unit text, street_code text, industry text,"
    " intended_investment numeric, stage text, first_contact_on date, signed_on date,"
    " project_code text",
    "stg_carriers__carriers": "natural_key text, carrier_name text, aliases text,"
    " carrier_kind text, street_code text, build_status text, total_area_m2 numeric,"
    " usable_area_m2 numeric, occupied_area_m2 numeric, investment_completed numeric,"
    " brand_level text, period date",
    "stg_hitech__certificates": "natural_key text, credit_code text, enterprise_name text,"
    " certificate_no text, certified_on date, valid_until date",
}


def load_staging(conn, bad: bool = False) -> None:
    """Good staged data, or (bad=True) the same with one broken value per kind of check."""
    d = date
    registry = [
        (
            P1,
            P1,
            "甲项目",
            C1,
            STREET_A,
            "先进制造",
            "工业",
            None,
            50000,
            d(2025, 1, 1),
            d(2026, 12, 31),
            d(2027, 3, 1),
            d(2024, 6, 1),
            50,
        ),
        (
            P2,
            P2,
            "乙项目",
            C2,
            STREET_B,
            "信息技术",
            "服务业",
            "科创园",
            12000,
            d(2025, 3, 1),
            d(2026, 6, 30),
            d(2026, 9, 1),
            d(2024, 7, 1),
            None,
        ),
    ]
    land = [
        (
            "Z-01",
            "Z-01",
            P1,
            C1,
            STREET_A,
            "工业",
            20000,
            d(2024, 8, 1),
            3000,
            d(2024, 10, 1),
            d(2026, 10, 1),
            d(2024, 11, 1),
            None,
        )
    ]
    tax = [
        (
            f"{C1}|2026-0{m}-01|增值税",
            C1,
            "甲公司",
            d(2026, m, 1),
            "增值税",
            120000 - m,
            d(2026, m, 15),
            STREET_A,
            None,
        )
        for m in range(1, 10)
    ]
    tax.append(
        (
            f"{C2}|2026-09-01|增值税",
            C2,
            "乙公司",
            d(2026, 9, 1),
            "增值税",
            -5000,
            d(2026, 9, 18),
            STREET_B,
            None,
        )
    )  # a refund: negative is fine
    approvals = [
        (
            f"{P1}|立项备案",
            P1,
            "甲项目",
            C1,
            "立项备案",
            d(2024, 5, 1),
            d(2024, 5, 20),
            "准予",
            50000,
        )
    ]
    milestones = [(f"{P1}|开工", P1, "开工", d(2025, 1, 1), d(2025, 2, 1), d(2026, 11, 16), None)]
    fai = [(f"{P1}|2026-10-01", P1, d(2026, 10, 1), 800, 21000)]
    ent = [(f"{C1}|2026-10-01", C1, d(2026, 10, 1), 3000, 3200, "是")]
    gdp = [("2026-09-01", d(2026, 9, 1), 9_000_000, 2_000_000)]
    if bad:
        registry.append(
            (
                "2024-3206-BAD",
                "2024-3206-BAD",
                "坏项目",
                "BADCODE",
                "999999999",
                "未知产业",
                "工业",
                None,
                0,
                None,
                None,
                None,
                d(2024, 1, 1),
                None,
            )
        )
        land.append(
            (
                "Z-02",
                "Z-02",
                None,
                C2,
                STREET_B,
                "工业",
                -5,
                d(2024, 8, 1),
                10,
                None,
                None,
                None,
                None,
            )
        )
        milestones.append((f"{P2}|发射", P2, "发射", None, d(2030, 1, 1), d(2026, 11, 16), None))
        # a credit code one character short, every character of the alphabet
        tax.append(
            (
                f"{SHORT_CREDIT_CODE}|2026-09-01|增值税",
                SHORT_CREDIT_CODE,
                "丙公司",
                d(2026, 9, 1),
                "增值税",
                100,
                d(2026, 9, 18),
                STREET_B,
                None,
            )
        )
    rows = {
        "stg_registry__projects": registry,
        "stg_land__parcels": land,
        "stg_tax__payments": tax,
        "stg_approvals__approvals": approvals,
        "stg_milestones__milestones": milestones,
        "stg_stats_fai__reports": fai,
        "stg_stats_enterprise__reports": ent,
        "stg_stats_gdp__quarters": gdp,
        "stg_leads__leads": [
            (
                "ZS2026-0001",
                "ZS2026-0001",
                "甲项目",
                "甲集团",
                C1,
                "zsj",
                STREET_A,
                "先进制造",
                50000,
                "签约",
                d(2026, 3, 1),
                d(2026, 5, 1),
                P1,
            )
        ],
        "stg_carriers__carriers": [
            (
                "崇川科创园|2026-09",
                "崇川科创园",
                "科创园",
                "园区",
                STREET_A,
                "建成",
                100000,
                80000,
                60000,
                30000,
                "省级",
                d(2026, 9, 1),
            )
        ],
        "stg_hitech__certificates": [
            (
                f"{C1}|GR202632000123",
                C1,
                "甲公司",
                "GR202632000123",
                d(2026, 10, 30),
                d(2029, 10, 29),
            )
        ],
    }
    with conn.cursor() as cur:
        cur.execute("create schema if not exists staging")
        for table, ddl in STAGING_DDL.items():
            cur.execute(
                f"drop table if exists staging.{table} cascade;"
                f" create table staging.{table} ({ddl})"
            )
            execute_values(cur, f"insert into staging.{table} values %s", rows[table])
    conn.commit()


MARTS_DDL = {
    "fct_coverage_gap": "gap_id text, rule_id text, owner_dept text, street_code text,"
    " project_code text, credit_code text, parcel_no text, feed text, period date,"
    " detected_on date, status text, resolved_on date, days_open integer",
    "fct_rejected_row": "rejected_key text, feed text, batch_id bigint, file_name text,"
    " line_no integer, reason text, detail text, raw jsonb, owner_dept text, received_on date",
    "fct_project_warning": "project_code text, parcel_no text, rule_id text, grade text,"
    " delay_days integer, detail text, as_of date, owner_dept text, lead_id text",
    "dim_project": "project_code text, project_name text, street_code text, is_current boolean,"
    " in_registry boolean",
    "fct_land_parcel": "parcel_no text, project_code text, street_code text",
}


def create_marts(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("create schema if not exists marts")
        for table, ddl in MARTS_DDL.items():
            cur.execute(
                f"drop table if exists marts.{table} cascade; create table marts.{table} ({ddl})"
            )
        execute_values(
            cur,
            "insert into marts.dim_project values %s",
            [
                (P1, "甲项目", STREET_A, True, True),
                (P2, "乙项目", STREET_B, True, True),
                (P3, "丙项目", STREET_A, True, True),
            ],
        )
        execute_values(
            cur,
            "insert into marts.fct_land_parcel values %s",
            [
                ("Z-01", P1, STREET_A),
                ("Z-09", None, STREET_B),
            ],
        )
    conn.commit()


def add_gap(
    conn,
    gap_id: str,
    rule_id: str,
    owner: str,
    detected_on: date,
    *,
    project_code: str | None = None,
    credit_code: str | None = None,
    parcel_no: str | None = None,
    feed: str | None = None,
    period: date | None = None,
    resolved_on: date | None = None,
    street_code: str | None = None,
) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "insert into marts.fct_coverage_gap values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, null)",
            (
                gap_id,
                rule_id,
                owner,
                street_code,
                project_code,
                credit_code,
                parcel_no,
                feed,
                period,
                detected_on,
                "resolved" if resolved_on else "open",
                resolved_on,
            ),
        )
    conn.commit()


def resolve_gap(conn, gap_id: str, on: date) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "update marts.fct_coverage_gap set status = 'resolved', resolved_on = %s"
            " where gap_id = %s",
            (on, gap_id),
        )
    conn.commit()


def add_rejected(
    conn,
    key: str,
    feed: str,
    owner: str,
    received_on: date,
    line_no: int | None,
    reason: str,
    raw: dict,
    file_name: str = "20261124.csv",
) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "insert into marts.fct_rejected_row values (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s)",
            (
                key,
                feed,
                f"{feed}/{file_name}",
                line_no,
                reason,
                f"bad {reason}",
                Json(raw),
                owner,
                received_on,
            ),
        )
    conn.commit()


def set_warnings(conn, as_of: date, rows: list[tuple]) -> None:
    """Replace the warnings (the table holds the latest run only): (project, parcel, rule,
    grade, delay_days, owner_dept), owner_dept as the owner_routing seed routes it."""
    with conn.cursor() as cur:
        cur.execute("delete from marts.fct_project_warning")
        if rows:
            execute_values(
                cur,
                "insert into marts.fct_project_warning (project_code, parcel_no, rule_id, grade,"
                " delay_days, detail, as_of, owner_dept) values %s",
                [(p, z, r, g, dd, f"{r} {dd}天", as_of, o) for p, z, r, g, dd, o in rows],
            )
    conn.commit()


def add_batches(conn, feed: str, counts: list[tuple[date, int]]) -> None:
    """Loaded batches of a feed with their row counts (the event store is append-only: only
    inserts)."""
    with conn.cursor() as cur:
        for i, (day, n) in enumerate(counts):
            cur.execute(
                "insert into ledger.batch (feed, file_name, sha256, delivered_on, status,"
                " rows_total, rows_loaded) values (%s, %s, %s, %s, 'loaded', %s, %s)",
                (feed, f"{feed}/{day:%Y%m%d}.csv", f"sha-{feed}-{i}-{day}", day, n, n),
            )
    conn.commit()
