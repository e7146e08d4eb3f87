"""One expectation per coverage rule (应入尽入) over the gaps open at as_of in
marts.fct_coverage_gap: it fails listing every open gap's key (result_format COMPLETE)."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe

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
]

# The gap's subject, readable in a report (concat_ws skips the nulls).
_GAP_KEY = (
    "concat_ws('|', project_code, parcel_no, credit_code, feed, to_char(period, 'YYYY-MM'))"
)


def open_gaps_query(rule_id: str, as_of: date) -> str:
    day = as_of.isoformat()
    return (
        f"select gap_id, {_GAP_KEY} as natural_key, owner_dept, detected_on"
        " from marts.fct_coverage_gap"
        f" where rule_id = '{rule_id}' and detected_on <= '{day}'"
        f" and (resolved_on is null or resolved_on > '{day}')"
    )


def coverage_suites(as_of: date) -> list[SuiteSpec]:
    specs = []
    for rule_id in COVERAGE_RULES:
        name = f"coverage_{rule_id}"
        # Every row of the batch is an open gap: gap_id is never null, so each one is unexpected.
        expectation = gxe.ExpectColumnValuesToBeNull(
            column="gap_id", meta={"check": rule_id},
        )
        specs.append(SuiteSpec(
            name=name, suite=gx.ExpectationSuite(name=name, expectations=[expectation]),
            query=open_gaps_query(rule_id, as_of),
        ))
    return specs
