"""One expectation per coverage rule (应入尽入) over the gaps open at as_of in
marts.fct_coverage_gap: it fails listing every open gap's key (result_format COMPLETE)."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.suites import SuiteSpec

# The rule ids of ../shared/rules.md (the published contract of fct_coverage_gap).
COVERAGE_RULES = [
    "unregistered_project",
    "missing_fai_report",
    "missing_tax_record",
    "missing_land_record",
    "stale_milestones",
    "missing_feed",
    "unknown_project",
    "unregistered_signed_lead",
    "unknown_carrier",
]

# The gap's subject, readable in a report (concat_ws skips the nulls).
_GAP_KEY = "concat_ws('|', project_code, parcel_no, credit_code, feed, to_char(period, 'YYYY-MM'))"


def open_gaps_query(as_of: date) -> str:
    day = as_of.isoformat()
    return (
        f"select gap_id, rule_id, {_GAP_KEY} as natural_key, owner_dept, detected_on"
        " from marts.fct_coverage_gap"
        f" where detected_on <= '{day}' and (resolved_on is null or resolved_on > '{day}')"
    )


def coverage_suites(as_of: date) -> list[SuiteSpec]:
    """One suite over the gaps open at as_of, one expectation per rule (a row condition picks
    the rule's rows): every row is an open gap, gap_id is never null, so each one is unexpected
    and the expectation fails listing all of them."""
    expectations = [
        gxe.ExpectColumnValuesToBeNull(
            column="gap_id",
            row_condition=Column("rule_id") == rule_id,
            meta={"check": rule_id},
        )
        for rule_id in COVERAGE_RULES
    ]
    suite = gx.ExpectationSuite(name="coverage", expectations=expectations)
    return [SuiteSpec(name="coverage", suite=suite, query=open_gaps_query(as_of))]
