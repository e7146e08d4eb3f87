"""The waiver register (alerts.waiver): an owner may be excused from an item (item_id) or a
whole rule (rule_id, or a quarantine reason) until a date, with a reason. A waived item is
left out of the digest (neither new, open, nor resolved) until the waiver lapses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.items import Item
    from projledger.settings import Settings


@dataclass(frozen=True)
class Waiver:
    waiver_id: int
    owner: str | None
    rule_id: str | None
    item_id: str | None
    until: date
    reason: str

    def covers(self, item: Item, as_of: date) -> bool:
        if as_of > self.until:
            return False
        if self.owner and self.owner != item.owner:
            return False
        if self.item_id and self.item_id != item.item_id:
            return False
        return not (self.rule_id and self.rule_id != item.rule_id)


def active_waivers(conn, as_of: date) -> list[Waiver]:
    """Waivers in force on as_of (recorded on or before it, not yet lapsed)."""
    with conn.cursor() as cur:
        cur.execute(
            "select waiver_id, owner, rule_id, item_id, until, reason from alerts.waiver"
            " where until >= %s order by waiver_id",
            (as_of,),
        )
        return [Waiver(*row) for row in cur.fetchall()]


def is_waived(item: Item, waivers: list[Waiver], as_of: date) -> bool:
    return any(w.covers(item, as_of) for w in waivers)


def add_waiver(
    settings: Settings,
    *,
    owner: str | None,
    rule_id: str | None = None,
    item_id: str | None = None,
    until: date,
    reason: str,
) -> int:
    """Record a waiver; returns its id."""
    from projledger.db import connect

    if not (rule_id or item_id):
        raise ValueError("a waiver names a rule_id or an item_id")
    if until is None or not reason:
        raise ValueError("a waiver needs an until date and a reason")
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "insert into alerts.waiver (owner, rule_id, item_id, until, reason)"
                " values (%s, %s, %s, %s, %s) returning waiver_id",
                (owner, rule_id, item_id, until, reason),
            )
            waiver_id = cur.fetchone()[0]
        conn.commit()
        return waiver_id
    finally:
        conn.close()


def list_waivers(settings: Settings, as_of: date | None = None) -> list[str]:
    """One line per waiver (all, or those in force on as_of)."""
    from projledger.db import connect

    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select waiver_id, coalesce(owner, '*'), coalesce(rule_id, '*'),"
                " coalesce(item_id, '*'), until, reason, created_at from alerts.waiver"
                " where %s::date is null or until >= %s::date order by waiver_id",
                (as_of, as_of),
            )
            rows = cur.fetchall()
    finally:
        conn.close()
    return [
        f"{wid}\towner={o}\trule={r}\titem={i}\tuntil={u}\treason={reason}\tcreated={c:%Y-%m-%d}"
        for wid, o, r, i, u, reason, c in rows
    ]
