"""What each owner is told about, read from the marts as of the run's as_of: coverage gaps
(marts.fct_coverage_gap), quarantined rows and rejected files (marts.fct_rejected_row) and
graded warnings (marts.fct_project_warning). Each item goes to the `owner_dept` the marts
carry, routed once in dbt by the owner_routing seed; owners are dept_codes and street_codes.
An item never goes to another owner, and an item naming no known owner goes to the project
office (owner of the registry)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from alerts.owners import Owner, coordinator

log = logging.getLogger(__name__)

GAP, REJECTED, WARNING = "gap", "rejected_row", "warning"


@dataclass
class Item:
    kind: str
    item_id: str
    owner: str
    rule_id: str
    opened_on: date | None = None
    project_code: str | None = None
    project_name: str | None = None
    credit_code: str | None = None
    parcel_no: str | None = None
    street_code: str | None = None
    feed: str | None = None
    period: date | None = None
    file_name: str | None = None
    line_no: int | None = None
    detail: str | None = None
    grade: str | None = None
    delay_days: int | None = None
    resolved_on: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        values = dict(data)
        for key in ("opened_on", "period", "resolved_on"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class Collected:
    items: list[Item]
    # Kinds whose marts reflect this night: only those can resolve items tonight.
    known_kinds: set[str]


def _items(conn, kind: str, sql: str, params: tuple) -> list[Item]:
    """Items of one kind from a query whose columns are named as Item's fields."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [Item(kind=kind, **dict(zip(cols, row, strict=True))) for row in cur.fetchall()]


def _gaps(conn, as_of: date) -> list[Item]:
    return _items(
        conn,
        GAP,
        """
        select g.gap_id as item_id, g.rule_id, g.owner_dept as owner, g.street_code,
               g.project_code, g.credit_code, g.parcel_no, g.feed, g.period,
               g.detected_on as opened_on, p.project_name
        from marts.fct_coverage_gap as g
        left join marts.dim_project as p on p.project_code = g.project_code and p.is_current
        where g.detected_on <= %s and (g.resolved_on is null or g.resolved_on > %s)
        order by g.rule_id, g.detected_on, g.gap_id
    """,
        (as_of, as_of),
    )


def _rejected(conn, as_of: date) -> list[Item]:
    return _items(
        conn,
        REJECTED,
        """
        select r.rejected_key as item_id, r.feed, r.file_name, r.line_no,
               r.reason as rule_id, r.detail, r.owner_dept as owner, r.received_on as opened_on,
               coalesce(r.raw ->> 'project_code', r.raw ->> '项目代码') as project_code,
               coalesce(r.raw ->> 'credit_code', r.raw ->> '统一社会信用代码',
                        r.raw ->> '纳税人识别号') as credit_code
        from marts.fct_rejected_row as r
        where r.received_on <= %s
        order by r.received_on, r.file_name, r.line_no nulls first
    """,
        (as_of,),
    )


def _warnings(conn, as_of: date) -> list[Item] | None:
    """Tonight's warnings, or None when the table was built for another night (it holds the
    latest run only): then nothing about warnings can be said, nor resolved, tonight."""
    with conn.cursor() as cur:
        cur.execute("select distinct as_of from marts.fct_project_warning")
        nights = {row[0] for row in cur.fetchall()}
    if nights and nights != {as_of}:
        log.warning(
            "marts.fct_project_warning holds %s, not %s: warnings left out tonight",
            sorted(nights),
            as_of,
        )
        return None
    return _items(
        conn,
        WARNING,
        """
        select w.rule_id || '|' || coalesce(w.project_code, '') || '|'
                   || coalesce(w.parcel_no, '')
                   -- a lead warning may have no project code yet
                   || coalesce('|' || w.lead_id, '') as item_id,
               w.project_code, w.parcel_no, w.rule_id, w.grade, w.delay_days, w.detail,
               w.owner_dept as owner, p.project_name,
               coalesce(p.street_code, l.street_code) as street_code
        from marts.fct_project_warning as w
        left join marts.dim_project as p on p.project_code = w.project_code and p.is_current
        left join marts.fct_land_parcel as l on l.parcel_no = w.parcel_no
        order by w.rule_id, w.project_code, w.parcel_no, w.lead_id
    """,
        (),
    )


def collect(conn, as_of: date, owners: dict[str, Owner]) -> Collected:
    """Every current item, its owner resolved to a known dept_code or street_code."""
    items = _gaps(conn, as_of) + _rejected(conn, as_of)
    known = {GAP, REJECTED}
    warnings = _warnings(conn, as_of)
    if warnings is not None:
        items += warnings
        known.add(WARNING)
    fallback = coordinator(owners)
    for item in items:
        if item.owner not in owners:
            log.warning(
                "%s %s names no known owner (%r): routed to the project office",
                item.kind,
                item.item_id,
                item.owner,
            )
            item.owner = fallback.code if fallback else item.owner
    return Collected(items=items, known_kinds=known)
