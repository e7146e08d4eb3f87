"""The reference tables the generator draws from, read at run time from the dbt seeds (or,
before they are copied there, from ../shared/reference/). Never copied into code."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from projledger.settings import REPO_ROOT

SEED_DIRS = (REPO_ROOT / "dbt_project" / "seeds", REPO_ROOT.parent / "shared" / "reference")


def _read(name: str, dirs: tuple[Path, ...] = SEED_DIRS) -> list[dict[str, str]]:
    for folder in dirs:
        path = folder / f"{name}.csv"
        if path.is_file():
            with open(path, encoding="utf-8-sig", newline="") as fh:
                return list(csv.DictReader(fh))
    raise FileNotFoundError(f"reference table {name}.csv not found in {[str(d) for d in dirs]}")


@dataclass(frozen=True)
class Node:
    seq: int
    node: str
    quota_industrial: int | None
    quota_service: int | None

    def quota(self, industrial: bool) -> int | None:
        return self.quota_industrial if industrial else self.quota_service


@dataclass(frozen=True)
class Refs:
    streets: tuple[str, ...]
    industries: tuple[str, ...]
    manufacturing: tuple[str, ...]  # industries of industrial projects
    nodes: tuple[Node, ...]  # by seq
    items: tuple[tuple[str, str], ...]  # (item, milestone_node)
    exceptions: tuple[str, ...]
    limits: tuple[tuple[str, int], ...] = ()  # (item, limit_working_days)
    departments: tuple[str, ...] = ()  # dept_code
    street_names: tuple[str, ...] = ()  # in the order of `streets`

    def nodes_for(self, industrial: bool) -> tuple[Node, ...]:
        # A node without a quota for the project's kind is not part of its plan
        # (a service project acquires no land). The first node never needs one.
        return tuple(
            n for i, n in enumerate(self.nodes) if i == 0 or n.quota(industrial) is not None
        )

    def items_for_node(self, node: str) -> tuple[str, ...]:
        return tuple(item for item, n in self.items if n == node)

    def limit(self, item: str) -> int:
        """The item's committed limit in working days (approval_items.csv)."""
        return dict(self.limits)[item]


def _int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value else None


def load_refs(dirs: tuple[Path, ...] = SEED_DIRS) -> Refs:
    industries = _read("industries", dirs)
    nodes = sorted(
        (
            Node(
                int(r["seq"]),
                r["node"],
                _int(r["quota_days_industrial"]),
                _int(r["quota_days_service"]),
            )
            for r in _read("milestone_nodes", dirs)
        ),
        key=lambda n: n.seq,
    )
    manufacturing = tuple(
        r["industry"] for r in industries if "manufactur" in r.get("industry_en", "").lower()
    )
    streets = _read("streets", dirs)
    items = _read("approval_items", dirs)
    return Refs(
        streets=tuple(r["street_code"] for r in streets),
        industries=tuple(r["industry"] for r in industries),
        manufacturing=manufacturing or tuple(r["industry"] for r in industries),
        nodes=tuple(nodes),
        items=tuple((r["item"], r["milestone_node"]) for r in items),
        exceptions=tuple(r["credit_code"] for r in _read("credit_code_exceptions", dirs)),
        limits=tuple((r["item"], int(r["limit_working_days"])) for r in items),
        departments=tuple(r["dept_code"] for r in _read("departments", dirs)),
        street_names=tuple(r["street_name"] for r in streets),
    )
