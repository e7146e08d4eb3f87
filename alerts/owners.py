"""The owners digests go to: departments and streets (seeds in schema `ref`), and the project
office named by the owner_routing seed's `unrouted` row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    code: str
    name: str
    email: str | None
    escalation_email: str | None
    kind: str  # 'department' or 'street'
    feeds: tuple[str, ...] = ()
    project_office: bool = False


def load_owners(conn) -> dict[str, Owner]:
    """Departments and streets from the reference seeds, keyed by dept_code / street_code."""
    owners: dict[str, Owner] = {}
    with conn.cursor() as cur:
        cur.execute("select owner from ref.owner_routing where rule_id = 'unrouted'")
        office = {row[0] for row in cur.fetchall()}
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
                code in office,
            )
        cur.execute("select street_code, street_name, email from ref.streets order by street_code")
        for code, name, email in cur.fetchall():
            owners[code] = Owner(code, name, email or None, None, "street")
    return owners


def coordinator(owners: dict[str, Owner]) -> Owner | None:
    """The project office (项目办): it coordinates the streets, so a street's escalations are
    copied to its director, and items without a known owner go to it."""
    return next((o for o in owners.values() if o.project_office), None)
