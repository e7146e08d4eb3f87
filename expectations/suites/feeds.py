"""One suite per feed over its staged table (schema `staging`, canonical column names of
../shared/feeds.md), derived from the feed contracts (ingest/feeds/contracts.py): identifier
patterns by column kind, value sets (the contract's own, or the reference seeds it names, read
through projledger.reference), keys and required columns present, amounts positive or not
negative, fact dates not after the business date and plans within a horizon. The date bounds
are thresholds: the vars of dbt_project.yml."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column as GxColumn

from expectations.suites import SuiteSpec
from ingest.feeds.contracts import (
    CHOICE,
    DATE,
    FEEDS,
    NUMBER,
    PATTERNS,
    PERIOD,
    STREET_CODE,
    Column,
    Feed,
)
from projledger import reference

STAGED_TABLES = {
    "registry": "stg_registry__projects",
    "milestones": "stg_milestones__milestones",
    "approvals": "stg_approvals__approvals",
    "land": "stg_land__parcels",
    "stats_fai": "stg_stats_fai__reports",
    "stats_enterprise": "stg_stats_enterprise__reports",
    "stats_gdp": "stg_stats_gdp__quarters",
    "tax": "stg_tax__payments",
    "leads": "stg_leads__leads",
    "carriers": "stg_carriers__carriers",
    "hitech": "stg_hitech__certificates",
}


def _not_null(column: str) -> gxe.ExpectColumnValuesToNotBeNull:
    return gxe.ExpectColumnValuesToNotBeNull(column=column)


def _extra(feed: str) -> list:
    """What the contracts do not say: a relation between two columns, and columns the rules
    need that ingest lets through empty (new objects each time: GX ties an expectation to one
    suite)."""
    if feed == "approvals":
        return [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="decided_on",
                column_B="accepted_on",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        ]
    return [_not_null(c) for c in {"land": ["area_m2"], "tax": ["amount_yuan"]}.get(feed, [])]


# A pattern of one character class repeated n times, as the credit code's.
_CLASS_REPEATED = re.compile(r"^\^\[([^\]]+)\]\{(\d+)\}\$$")


def _pattern(column: str, pattern: str) -> list:
    """The column matches the pattern. One character class repeated n times is checked as the
    class repeated (`+`) and a LIKE of n `_` (exactly n characters): the same values pass, and
    PostgreSQL's regex engine matches a bounded repeat several times slower (6.2 s against
    1.2 s for the province's 9.2M staged tax rows). A LIKE is counted in the same query as the
    other conditions; a length expectation takes a query of its own."""
    repeated = _CLASS_REPEATED.match(pattern)
    if repeated is None:
        return [gxe.ExpectColumnValuesToMatchRegex(column=column, regex=pattern)]
    return [
        gxe.ExpectColumnValuesToMatchRegex(column=column, regex=f"^[{repeated[1]}]+$"),
        gxe.ExpectColumnValuesToMatchLikePattern(
            column=column, like_pattern="_" * int(repeated[2])
        ),
    ]


def _value_set(column: Column) -> list[str]:
    if column.kind == STREET_CODE:
        return list(reference.values("streets.street_code"))
    if column.refs:
        return [value for ref in column.refs for value in reference.values(ref)]
    return list(column.choices) if column.kind == CHOICE else []


def _column_expectations(feed: Feed, column: Column, as_of: date, limits: dict) -> list:
    name, out = column.name, []
    if name in feed.key or column.required:
        out.append(_not_null(name))
    if feed.key == (name,):
        out.append(gxe.ExpectColumnValuesToBeUnique(column=name))
    if column.kind in PATTERNS:
        out += _pattern(name, PATTERNS[column.kind])
    if column.pattern:
        out += _pattern(name, column.pattern)
    if values := _value_set(column):
        out.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=values))
    if column.kind == NUMBER and not column.signed:
        # amounts that must be > 0 are the contract's `positive`; others must not be negative
        out.append(
            gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0, strict_min=column.positive)
        )
    if column.kind in (DATE, PERIOD):
        # a fact (actual, reported, paid) has happened by the business date; a plan lies
        # within the horizon
        latest = limits["plan_horizon"] if column.planned else as_of.isoformat()
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=limits["earliest"], max_value=latest
            )
        )
    return out


def feed_suites(as_of: date, cfg: dict[str, Any]) -> list[SuiteSpec]:
    """The staged-feed suites as of a date; cfg: the rule vars (check_earliest_date,
    check_plan_horizon_years)."""
    years = int(cfg["check_plan_horizon_years"])
    limits = {
        "earliest": str(cfg["check_earliest_date"]),
        "plan_horizon": as_of.replace(year=as_of.year + years, day=1).isoformat(),
    }
    specs = []
    for feed, table in STAGED_TABLES.items():
        contract = FEEDS[feed]
        expectations = [
            e for c in contract.columns for e in _column_expectations(contract, c, as_of, limits)
        ] + _extra(feed)
        suite = gx.ExpectationSuite(name=f"feed_{feed}", expectations=expectations)
        specs.append(SuiteSpec(name=f"feed_{feed}", suite=suite, schema="staging", table=table))
    return specs


def delivery_suites(conn, as_of: date, history: int, low: float, high: float) -> list[SuiteSpec]:
    """Row count of each feed's latest loaded delivery against the median of its previous
    `history` deliveries: a tax file with half its usual rows is a finding. One suite over the
    latest delivery of every feed, one expectation per feed; feeds with fewer than three
    earlier deliveries are not judged (no band yet)."""
    expectations = []
    for feed in STAGED_TABLES:
        with conn.cursor() as cur:
            cur.execute(
                """
                select rows_total from ledger.batch
                where feed = %s and status = 'loaded' and delivered_on <= %s
                order by delivered_on desc, delivery_seq desc, batch_id desc
                offset 1 limit %s
                """,
                (feed, as_of, history),
            )
            previous = sorted(row[0] for row in cur.fetchall())
        if len(previous) < 3:
            continue
        mid = len(previous) // 2
        median = previous[mid] if len(previous) % 2 else (previous[mid - 1] + previous[mid]) / 2
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="rows_total",
                min_value=int(median * low),
                max_value=int(median * high + 0.5),
                row_condition=GxColumn("feed") == feed,
                meta={"check": f"latest_delivery_rows_{feed}", "median_rows": median},
            )
        )
    query = (
        "select distinct on (feed) feed, file_name as natural_key, delivered_on, rows_total"
        f" from ledger.batch where status = 'loaded' and delivered_on <= '{as_of.isoformat()}'"
        " order by feed, delivered_on desc, delivery_seq desc, batch_id desc"
    )
    suite = gx.ExpectationSuite(name="deliveries", expectations=expectations)
    return [SuiteSpec(name="deliveries", suite=suite, query=query)]
