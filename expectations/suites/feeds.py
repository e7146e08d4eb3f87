"""One suite per feed over its staged table (schema `staging`, canonical column names of
../shared/feeds.md): identifier patterns, value sets read from the reference seeds, amounts
that must be positive, dates in range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.suites import SuiteSpec

PROJECT_CODE_RE = r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$"
# GB 32100-2015 alphabet (no I, O, S, V, Z); the check character itself is verified at ingest.
CREDIT_CODE_RE = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
STREET_CODE_RE = r"^\d{9}$"
# Contract values of feeds.md that are not reference tables.
PROJECT_KINDS = ["工业", "服务业"]
APPROVAL_RESULTS = ["准予", "不予"]
YES_NO = ["是", "否"]
EARLIEST = "2000-01-01"
PLAN_HORIZON_YEARS = 30

STAGED_TABLES = {
    "registry": "stg_registry__projects",
    "milestones": "stg_milestones__milestones",
    "approvals": "stg_approvals__approvals",
    "land": "stg_land__parcels",
    "stats_fai": "stg_stats_fai__reports",
    "stats_enterprise": "stg_stats_enterprise__reports",
    "stats_gdp": "stg_stats_gdp__quarters",
    "tax": "stg_tax__payments",
}


@dataclass(frozen=True)
class Reference:
    streets: list[str]
    industries: list[str]
    nodes: list[str]
    items: list[str]


def load_reference(conn) -> Reference:
    def values(sql: str) -> list[str]:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [row[0] for row in cur.fetchall()]

    return Reference(
        streets=values("select street_code from ref.streets order by 1"),
        industries=values("select industry from ref.industries order by 1"),
        nodes=values("select node from ref.milestone_nodes order by seq"),
        items=values("select item from ref.approval_items order by 1"),
    )


def _pattern(column: str, regex: str) -> gxe.ExpectColumnValuesToMatchRegex:
    return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex)


def _in_set(column: str, values: list[str]) -> gxe.ExpectColumnValuesToBeInSet:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))


def _not_null(column: str) -> gxe.ExpectColumnValuesToNotBeNull:
    return gxe.ExpectColumnValuesToNotBeNull(column=column)


def _positive(column: str) -> gxe.ExpectColumnValuesToBeBetween:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, strict_min=True)


def _non_negative(column: str) -> gxe.ExpectColumnValuesToBeBetween:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0)


def _happened(column: str, as_of: date) -> gxe.ExpectColumnValuesToBeBetween:
    """A fact (actual, reported, paid) dated between EARLIEST and the business date."""
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=EARLIEST, max_value=as_of.isoformat()
    )


def _planned(column: str, as_of: date) -> gxe.ExpectColumnValuesToBeBetween:
    horizon = as_of.replace(year=as_of.year + PLAN_HORIZON_YEARS, day=1).isoformat()
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=EARLIEST, max_value=horizon)


def _expectations(feed: str, ref: Reference, as_of: date) -> list:
    if feed == "registry":
        return [
            _not_null("project_code"),
            _pattern("project_code", PROJECT_CODE_RE),
            gxe.ExpectColumnValuesToBeUnique(column="project_code"),
            _pattern("credit_code", CREDIT_CODE_RE),
            _not_null("street_code"),
            _in_set("street_code", ref.streets),
            _in_set("industry", ref.industries),
            _in_set("project_kind", PROJECT_KINDS),
            _not_null("planned_investment"),
            _positive("planned_investment"),
            _planned("planned_start", as_of),
            _planned("planned_completion", as_of),
            _planned("planned_production", as_of),
            _happened("registered_on", as_of),
            _non_negative("committed_tax_per_mu"),
        ]
    if feed == "milestones":
        return [
            _not_null("project_code"),
            _pattern("project_code", PROJECT_CODE_RE),
            _in_set("node", ref.nodes),
            _planned("planned_date", as_of),
            _happened("actual_date", as_of),
            _happened("reported_on", as_of),
        ]
    if feed == "approvals":
        return [
            _pattern("project_code", PROJECT_CODE_RE),
            _pattern("credit_code", CREDIT_CODE_RE),
            _in_set("item", ref.items),
            _in_set("result", APPROVAL_RESULTS),
            _happened("accepted_on", as_of),
            _happened("decided_on", as_of),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="decided_on",
                column_B="accepted_on",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            _non_negative("total_investment"),
        ]
    if feed == "land":
        return [
            _not_null("parcel_no"),
            gxe.ExpectColumnValuesToBeUnique(column="parcel_no"),
            _pattern("project_code", PROJECT_CODE_RE),
            _pattern("credit_code", CREDIT_CODE_RE),
            _in_set("street_code", ref.streets),
            _not_null("area_m2"),
            _positive("area_m2"),
            _non_negative("price"),
            _happened("contract_signed_on", as_of),
            _planned("agreed_start", as_of),
            _planned("agreed_completion", as_of),
            _happened("actual_start", as_of),
            _happened("actual_completion", as_of),
        ]
    if feed == "stats_fai":
        return [
            _not_null("project_code"),
            _pattern("project_code", PROJECT_CODE_RE),
            _happened("period", as_of),
            _non_negative("cumulative_investment"),
        ]
    if feed == "stats_enterprise":
        return [
            _not_null("credit_code"),
            _pattern("credit_code", CREDIT_CODE_RE),
            _happened("period", as_of),
            _in_set("above_scale", YES_NO),
            _non_negative("output_value"),
            _non_negative("revenue"),
        ]
    if feed == "stats_gdp":
        return [
            _happened("period", as_of),
            _positive("gdp"),
            _non_negative("fixed_asset_investment"),
        ]
    if feed == "tax":
        # amount_yuan may be negative (a refund): no sign check.
        return [
            _not_null("credit_code"),
            _pattern("credit_code", CREDIT_CODE_RE),
            _happened("period", as_of),
            _not_null("tax_type"),
            _not_null("amount_yuan"),
            _happened("paid_on", as_of),
            _in_set("street_code", ref.streets),
        ]
    raise KeyError(feed)


def feed_suites(ref: Reference, as_of: date) -> list[SuiteSpec]:
    specs = []
    for feed, table in STAGED_TABLES.items():
        expectations = _expectations(feed, ref, as_of)
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
                row_condition=Column("feed") == feed,
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
