"""A small published warehouse written straight into schema `marts` (the columns of
../shared/warehouse.md the bulletin reads), so the renderer is tested without building the whole
warehouse: 16 streets, 40 projects, a final and a provisional quarter of the scorecard with a tie,
open gaps, approvals over their limit, leads in every stage and carriers. Deterministic."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
AS_OF = date(2026, 11, 24)
MONTH = date(2026, 10, 1)

DDL = """
create schema if not exists marts;
create table marts.dim_street (street_code text, street_name text);
create table marts.dim_department (dept_code text, dept_name text);
create table marts.dim_project (
    project_code text, project_name text, credit_code text, street_code text, industry text,
    project_kind text, carrier text, planned_investment numeric, planned_start date,
    planned_completion date, planned_production date, registered_on date, in_registry boolean,
    valid_from date, valid_to date, is_current boolean);
create table marts.fct_project_month (
    project_code text, period date, month_investment numeric, cumulative_investment numeric,
    tax_wan numeric, output_value numeric, revenue numeric);
create table marts.kpi_project (
    project_code text, street_code text, land_area_mu numeric, card text, as_of date);
create table marts.kpi_district (
    period date, projects_in_registry bigint, projects_started bigint,
    projects_in_production bigint, investment_effect numeric, converted_above_scale_3y bigint,
    open_gaps bigint, red_cards bigint, yellow_cards bigint, coverage_rate numeric,
    approval_chain_median_days numeric, leads_in_talks bigint, leads_signed bigint);
create table marts.fct_coverage_gap (
    gap_id text, rule_id text, owner_dept text, street_code text, project_code text,
    credit_code text, parcel_no text, feed text, period date, detected_on date, status text,
    resolved_on date, days_open integer, as_of date);
create table marts.fct_approval (
    project_code text, item text, accepted_on date, decided_on date, result text, status text,
    working_days integer, limit_working_days integer, over_limit_days integer);
create table marts.fct_lead (
    lead_id text, project_name text, sourcing_unit text, street_code text, industry text,
    intended_investment numeric, stage text, first_contact_on date, signed_on date,
    project_code text, registered_on date, started_on date, days_contact_to_sign integer,
    days_sign_to_registry integer, days_registry_to_start integer, in_ledger boolean);
create table marts.kpi_carrier (
    carrier_name text, period date, street_code text, carrier_kind text, build_status text,
    total_area_m2 numeric, usable_area_m2 numeric, occupied_area_m2 numeric,
    vacancy_rate numeric, investment_completed numeric, brand_level text,
    projects_in_registry bigint, taxpayers bigint, tax_ttm_wan numeric,
    tax_per_m2_ttm_yuan numeric, relocated_in bigint);
create table marts.kpi_carrier_district (
    period date, built_count bigint, built_area_m2 numeric, built_usable_m2 numeric,
    building_count bigint, building_area_m2 numeric, planned_count bigint,
    planned_area_m2 numeric, available_area_m2 numeric);
create table marts.kpi_street_quarter (
    street_code text, quarter date, is_final boolean, computed_on date, major_projects bigint,
    investment_wan numeric, hitech bigint, conversions bigint, signed_leads_wan numeric,
    score_major_projects numeric, score_investment numeric, score_hitech numeric,
    score_conversions numeric, score_signed_leads numeric, red_cards bigint,
    yellow_cards bigint, open_gaps bigint, penalty numeric, score numeric, rank bigint,
    grade text);
"""


def _seed(name: str) -> list[dict]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _insert(cur: Any, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    cur.executemany(
        f"insert into marts.{table} ({', '.join(cols)}) values ({', '.join(['%s'] * len(cols))})",
        [tuple(r[c] for c in cols) for r in rows],
    )


def _grade(score: float) -> str:
    return "优秀" if score >= 90 else "良好" if score >= 75 else "合格" if score >= 60 else "不合格"


def _ranked(rows: list[dict]) -> list[dict]:
    ordered = sorted(rows, key=lambda r: (-r["score"], r["street_code"]))
    for row in ordered:
        row["rank"] = 1 + sum(1 for other in rows if other["score"] > row["score"])
        row["grade"] = _grade(row["score"])
    return ordered


def load(conn: Any, seed: int = 7) -> dict[str, Any]:
    """Create and fill the marts; returns what the tests assert on."""
    rnd = random.Random(seed)
    streets = _seed("streets")
    codes = [s["street_code"] for s in streets]
    projects, months, indicators = [], [], []
    for i in range(40):
        code = f"2025-320602-39-03-{i + 1:06d}"
        start = date(2025, 1 + i % 12, 1)
        investment = rnd.choice([8000, 12000, 20000, 35000, 60000])
        registered = date(2026, 10, 5 + i) if i < 3 else start - timedelta(days=40)
        projects.append(
            dict(
                project_code=code,
                project_name=f"重大项目{i + 1:02d}号",
                street_code=codes[i % 16],
                planned_investment=investment,
                planned_start=start,
                planned_completion=start + timedelta(days=540),
                registered_on=registered,
                in_registry=True,
                is_current=True,
            )
        )
        indicators.append(
            dict(
                project_code=code,
                street_code=codes[i % 16],
                card=["green", "green", "yellow", "red", "green"][i % 5],
                as_of=AS_OF,
            )
        )
        for m in range(12):
            period = date(2025 + (10 + m) // 12, (10 + m) % 12 + 1, 1)
            months.append(
                dict(
                    project_code=code,
                    period=period,
                    month_investment=round(investment / 18 * rnd.uniform(0.5, 1.3), 2),
                )
            )
    final, current = [], []
    for n, code in enumerate(codes):
        # Streets 3 and 4 tie for second place in the final quarter.
        score = {0: 104.5, 3: 91.25, 4: 91.25}.get(n, round(88 - n * 3.1, 2))
        final.append(
            dict(
                street_code=code,
                quarter=date(2026, 7, 1),
                is_final=True,
                computed_on=date(2026, 10, 21),
                score=score,
                penalty=round(n % 4 * 0.7, 2),
                score_major_projects=25,
                score_investment=round(score * 0.3, 2),
                score_hitech=15,
                score_conversions=10,
                score_signed_leads=12,
            )
        )
        current.append(
            dict(
                street_code=code,
                quarter=date(2026, 10, 1),
                is_final=False,
                computed_on=AS_OF,
                score=round(30 + n * 1.7, 2),
                penalty=0,
                score_major_projects=0,
                score_investment=10,
                score_hitech=5,
                score_conversions=0,
                score_signed_leads=3,
            )
        )
    gaps = [
        dict(
            gap_id=f"g{i:03d}",
            rule_id=[
                "missing_fai_report",
                "stale_milestones",
                "unregistered_project",
                "missing_tax_record",
                "unregistered_signed_lead",
            ][i % 5],
            owner_dept=["tjj", codes[i % 16], "xmb", "swj", codes[(i + 3) % 16]][i % 5],
            project_code=projects[i]["project_code"],
            period=date(2026, 9, 1) if i % 5 in (0, 3) else None,
            detected_on=AS_OF - timedelta(days=5 + i * 4),
            status="open",
            days_open=5 + i * 4,
        )
        for i in range(14)
    ]
    approvals = [
        dict(
            project_code=projects[i]["project_code"],
            item="施工许可证",
            status="pending",
            accepted_on=date(2026, 9, 1 + i),
            working_days=30 - i,
            limit_working_days=12,
            over_limit_days=18 - i,
        )
        for i in range(6)
    ]
    stages = ["在谈"] * 9 + ["签约"] * 5 + ["落地"] * 4 + ["终止"] * 2
    leads = [
        dict(
            lead_id=f"ZS2026-{i + 1:04d}",
            project_name=f"招商线索{i + 1}",
            stage=stage,
            street_code=codes[i % 16],
            sourcing_unit="zsj",
            intended_investment=rnd.choice([5000, 15000, 30000]),
            in_ledger=True,
            days_contact_to_sign=None if stage in ("在谈", "终止") else 60 + i * 7,
            days_sign_to_registry=40 + i if stage == "落地" else None,
            days_registry_to_start=90 + i if stage == "落地" else None,
        )
        for i, stage in enumerate(stages)
    ]
    carriers = [
        dict(
            carrier_name=f"载体{i + 1:02d}号楼",
            period=date(2026, 7, 1),
            street_code=codes[i % 16],
            build_status="built",
            usable_area_m2=20000 + i * 1000,
            vacancy_rate=round(0.05 + i * 0.03, 4),
            tax_per_m2_ttm_yuan=round(900 - i * 61.5, 2),
        )
        for i in range(12)
    ]
    with conn.cursor() as cur:
        cur.execute(DDL)
        _insert(
            cur,
            "dim_street",
            [dict(street_code=s["street_code"], street_name=s["street_name"]) for s in streets],
        )
        _insert(
            cur,
            "dim_department",
            [
                dict(dept_code=d["dept_code"], dept_name=d["dept_name"])
                for d in _seed("departments")
            ],
        )
        _insert(cur, "dim_project", projects)
        _insert(cur, "fct_project_month", months)
        _insert(cur, "kpi_project", indicators)
        _insert(
            cur,
            "kpi_district",
            [
                dict(
                    period=MONTH,
                    projects_in_registry=40,
                    projects_started=31,
                    projects_in_production=12,
                    approval_chain_median_days=47,
                )
            ],
        )
        _insert(cur, "kpi_street_quarter", _ranked(final) + _ranked(current))
        _insert(cur, "fct_coverage_gap", gaps)
        _insert(cur, "fct_approval", approvals)
        _insert(cur, "fct_lead", leads)
        _insert(cur, "kpi_carrier", carriers)
        _insert(
            cur,
            "kpi_carrier_district",
            [
                dict(
                    period=date(2026, 7, 1),
                    built_count=49,
                    built_area_m2=1750000,
                    built_usable_m2=780000,
                    building_count=18,
                    building_area_m2=990000,
                    planned_count=13,
                    planned_area_m2=800000,
                    available_area_m2=2570000,
                )
            ],
        )
    conn.commit()
    return {"top_street": streets[0]["street_name"], "streets": [s["street_name"] for s in streets]}
