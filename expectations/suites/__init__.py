"""Expectation suites as Python objects, built at run time from the reference seeds and the
run's as_of. Each `SuiteSpec` pairs one suite with the one batch it validates: a staged feed
table, or a query (the latest delivery of a feed, the open gaps of one coverage rule)."""

from __future__ import annotations

from dataclasses import dataclass, field

import great_expectations as gx

KEY_COLUMN = "natural_key"


@dataclass
class SuiteSpec:
    name: str
    suite: gx.ExpectationSuite
    # Either a table (schema, table) or a query: what the batch is.
    schema: str | None = None
    table: str | None = None
    query: str | None = None
    # Every batch names its rows by a `natural_key` column (the staged key, the file name, the
    # gap's subject): one checkpoint-wide result format can then list every failing key.
    key_columns: list[str] = field(default_factory=lambda: [KEY_COLUMN])

    @property
    def asset_name(self) -> str:
        return f"{self.name}_asset"


def check_name(suite: str, config) -> str:
    """A stable name per expectation: suite and its meta `check` (coverage rule, delivered
    feed), else suite, expectation type and column."""
    kwargs = config.kwargs
    if (config.meta or {}).get("check"):
        return f"{suite}.{config.meta['check']}"
    target = (
        kwargs.get("column")
        or "_".join(kwargs.get("column_list") or [])
        or (f"{kwargs.get('column_A')}_{kwargs.get('column_B')}" if kwargs.get("column_A") else "")
    )
    label = target or "table"
    return f"{suite}.{config.type}.{label}"
