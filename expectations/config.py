"""What the checks and digests read besides the marts: the rule thresholds (the vars of
dbt_project/dbt_project.yml, the one rules config) and the owners (seeds in schema `ref`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


def dbt_vars(dbt_project_dir: Path) -> dict[str, Any]:
    """The `vars:` block of dbt_project.yml: every threshold lives there, none in code."""
    path = Path(dbt_project_dir) / "dbt_project.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}


@dataclass(frozen=True)
class Owner:
    code: str
    name: str
    email: str | None
    escalation_email: str | None
    kind: str  # 'department' or 'street'
    feeds: tuple[str, ...] = ()


def load_owners(conn) -> dict[str, Owner]:
    """Departments and streets from the reference seeds, keyed by dept_code / street_code."""
    owners: dict[str, Owner] = {}
    with conn.cursor() as cur:
        cur.execute(
            "select dept_code, dept_name, email, escalation_email, coalesce(feeds, '')"
            " from ref.departments order by dept_code"
        )
        for code, name, email, esc, feeds in cur.fetchall():
            owners[code] = Owner(
                code,
                name,
                email or None,
                esc or None,
                "department",
                tuple(f for f in feeds.split(";") if f),
            )
        cur.execute("select street_code, street_name, email from ref.streets order by street_code")
        for code, name, email in cur.fetchall():
            owners[code] = Owner(code, name, email or None, None, "street")
    return owners


def coordinator(owners: dict[str, Owner]) -> Owner | None:
    """The department that owns the registry (项目办): it coordinates the streets, so a
    street's escalations are copied to its director, and items without an owner go to it."""
    for owner in owners.values():
        if "registry" in owner.feeds:
            return owner
    return None
