"""The reference tables (streets, departments, nodes, items, industries, credit-code
exceptions): CSV seeds of the dbt project, read here too so ingest can validate rows
before dbt has run. They are data, never copied into code."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from projledger.settings import REPO_ROOT

SEEDS_DIR = REPO_ROOT / "dbt_project" / "seeds"


@cache
def table(name: str, seeds_dir: Path = SEEDS_DIR) -> tuple[dict[str, str], ...]:
    with open(seeds_dir / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
        return tuple(csv.DictReader(fh))


def values(ref: str) -> tuple[str, ...]:
    """The value set named "<seed>.<column>", e.g. "milestone_nodes.node"."""
    seed, column = ref.split(".", 1)
    return tuple(row[column] for row in table(seed))


def credit_code_exceptions() -> frozenset[str]:
    return frozenset(values("credit_code_exceptions.credit_code"))


def feed_owners() -> dict[str, str]:
    """feed name → owning department code, from departments.csv's `feeds` column."""
    return {
        feed: row["dept_code"]
        for row in table("departments")
        for feed in row["feeds"].split(";")
        if feed
    }
