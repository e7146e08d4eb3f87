"""Department alert digests (部门预警摘要): one digest per owner and night, recorded with its
items in alerts.alert / alerts.alert_item before it is delivered, then sent by SMTP or written
to the outbox, and summarised to the owner's group robot (企业微信 / 钉钉) when it has one
(alerts/robots.py). Entry points: `send_digests(settings, as_of)` and `preview(settings, as_of)`."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from psycopg2.extras import Json, execute_values

from alerts.channels import load_channels
from alerts.deliver import Outgoing, deliver
from alerts.items import collect
from alerts.lifecycle import (
    NEW,
    OPEN,
    REMINDER,
    RESOLVED,
    Digest,
    decide,
    load_history,
    save_episodes,
)
from alerts.owners import Owner, coordinator, load_owners
from alerts.render import Rendered, render
from alerts.robots import record_messages, recover, send_robot_messages
from alerts.waivers import active_waivers, is_waived
from projledger.settings import rule_vars

if TYPE_CHECKING:
    from projledger.settings import Settings

__all__ = ["send_digests", "preview", "plan"]

log = logging.getLogger(__name__)
_LOCK_KEY = 7_202_612  # one digest run at a time: two runs of a night cannot both send
# Owners (codes, comma-separated) that want a digest every night even with nothing new.
ALWAYS_ENV = "PROJLEDGER_DIGEST_ALWAYS"


@dataclass
class Planned:
    owner: Owner
    digest: Digest
    rendered: Rendered
    recipients: list[str]
    cc: list[str]


def _always_owners(settings: Settings) -> set[str]:
    if not getattr(settings, "skip_empty_digests", True):
        return {"*"}
    return {c.strip() for c in os.environ.get(ALWAYS_ENV, "").split(",") if c.strip()}


def _addresses(owner: Owner, owners: dict[str, Owner], escalated: bool) -> tuple[list, list]:
    to = [owner.email] if owner.email else []
    cc: list[str] = []
    if escalated:
        # Streets have no escalation address of their own: the project office's director
        # (the coordinator of the streets) is copied instead.
        esc = owner.escalation_email
        if not esc and owner.kind == "street":
            coord = coordinator(owners)
            esc = coord.escalation_email if coord else None
        if esc:
            cc.append(esc)
    return to, cc


def plan(conn, settings: Settings, as_of: date) -> list[Planned]:
    """Tonight's digests, decided from the marts and the earlier alerts (nothing written)."""
    cfg = rule_vars(settings.dbt_project_dir)
    owners = load_owners(conn)
    collected = collect(conn, as_of, owners)
    waivers = active_waivers(conn, as_of)
    live, waived = [], set()
    for item in collected.items:
        if is_waived(item, waivers, as_of):
            waived.add((item.owner, item.kind, item.item_id))
        else:
            live.append(item)
    digests = decide(
        live,
        load_history(conn, as_of),
        collected.known_kinds,
        as_of,
        int(cfg["remind_days"]),
        int(cfg["escalate_days"]),
        waived,
    )
    always = _always_owners(settings)
    planned = []
    for code, owner in owners.items():
        digest = digests.get(code) or Digest(owner=code)
        if not digest.news and "*" not in always and code not in always:
            continue
        to, cc = _addresses(owner, owners, digest.escalated)
        if not to:
            log.warning("owner %s has no e-mail address: digest not sent", code)
            continue
        planned.append(Planned(owner, digest, render(digest, owner, as_of), to, cc))
    return planned


def _message_id(settings: Settings, as_of: date, owner: str) -> str:
    domain = settings.mail_from.rsplit("@", 1)[-1] if "@" in settings.mail_from else "localhost"
    return f"<projledger.{as_of:%Y%m%d}.{owner}@{domain}>"


def _record(conn, settings: Settings, as_of: date, p: Planned) -> int | None:
    """Insert the alert and its items (one transaction); None if the night already has one."""
    d = p.digest
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into alerts.alert (run_date, owner_dept, owner_name, recipients, cc,
                escalated, n_new, n_open, n_resolved, n_reminder, subject, body_text, body_html,
                attachment_name, attachment, message_id)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (run_date, owner_dept) do nothing
            returning alert_id
            """,
            (
                as_of,
                p.owner.code,
                p.owner.name,
                p.recipients,
                p.cc,
                d.escalated,
                len(d.of(NEW)),
                len(d.of(OPEN)) + len(d.of(REMINDER)),
                len(d.of(RESOLVED)),
                len(d.of(REMINDER)),
                p.rendered.subject,
                p.rendered.text,
                p.rendered.html,
                p.rendered.attachment_name,
                p.rendered.attachment,
                _message_id(settings, as_of, p.owner.code),
            ),
        )
        row = cur.fetchone()
        if row is None:
            conn.rollback()
            return None
        alert_id = row[0]
        # one statement for the items: a province night lists thousands
        execute_values(
            cur,
            """
            insert into alerts.alert_item (alert_id, item_kind, item_id, state, rule_id,
                opened_on, days_open, escalated, project_code, detail)
            values %s
            """,
            [
                (
                    alert_id,
                    e.item.kind,
                    e.item.item_id,
                    e.state,
                    e.item.rule_id,
                    e.item.opened_on,
                    e.days_open,
                    e.escalated,
                    e.item.project_code,
                    Json(e.item.to_json()),
                )
                for e in d.entries
            ],
            page_size=1000,
        )
    conn.commit()
    return alert_id


def _unsent(conn, up_to: date) -> list[Outgoing]:
    with conn.cursor() as cur:
        cur.execute(
            """
            select alert_id, run_date, owner_dept, recipients, cc, subject, body_text, body_html,
                   attachment_name, attachment, message_id
            from alerts.alert where status in ('pending', 'failed') and run_date <= %s
            order by run_date, alert_id
            """,
            (up_to,),
        )
        return [
            Outgoing(
                r[0],
                r[1],
                r[2],
                list(r[3]),
                list(r[4]),
                r[5],
                r[6],
                r[7],
                r[8],
                bytes(r[9]) if r[9] is not None else None,
                r[10],
            )
            for r in cur.fetchall()
        ]


def send_digests(settings: Settings, as_of: date) -> list[str]:
    """Retry earlier undelivered alerts, then record and deliver tonight's digests.
    Idempotent per (run_date, owner): re-running a night sends nothing twice. Then the same
    for the group robots. Returns one report line per alert and robot message handled."""
    from projledger.db import connect

    # A broken channels file stops the run before anything is recorded or sent.
    channels = load_channels(settings.channels_path)
    conn = connect(settings)
    lines: list[str] = []
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        conn.commit()
        for out in _unsent(conn, as_of - timedelta(days=1)):
            ok, err = deliver(conn, settings, out, as_of)
            lines.append(
                f"retry {out.run_date} {out.owner}: "
                + ("delivered" if ok else f"failed again ({err})")
            )
        for p in plan(conn, settings, as_of):
            alert_id = _record(conn, settings, as_of, p)
            if alert_id is None:
                continue  # already recorded by an earlier run of this night
            log.info("recorded alert %s for %s", alert_id, p.owner.code)
        # the next night starts from tonight's open episodes (alerts/lifecycle.py)
        save_episodes(conn, as_of)
        conn.commit()
        for out in _unsent(conn, as_of):
            if out.run_date != as_of:
                continue
            ok, err = deliver(conn, settings, out, as_of)
            d = f"{out.run_date} {out.owner} to {','.join(out.recipients)}"
            if out.cc:
                d += f" cc {','.join(out.cc)}"
            lines.append(f"sent {d}" if ok else f"FAILED {d}: {err}")
        lines += recover(conn, as_of)
        record_messages(conn, channels, as_of)
        lines += send_robot_messages(conn, settings, channels, as_of)
    finally:
        try:
            with conn.cursor() as cur:
                cur.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
            conn.commit()
        finally:
            conn.close()
    return lines


def preview(settings: Settings, as_of: date, owner: str | None = None) -> str:
    """The digests of a night as text: the recorded ones if the night already ran, otherwise
    what would be sent (nothing is written)."""
    from projledger.db import connect

    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select owner_dept, recipients, cc, subject, body_text, status from alerts.alert"
                " where run_date = %s and (%s::text is null or owner_dept = %s::text)"
                " order by owner_dept",
                (as_of, owner, owner),
            )
            recorded = cur.fetchall()
        if recorded:
            parts = [
                f"To: {', '.join(r)}\nCc: {', '.join(c)}\nSubject: {s}\nStatus: {st}\n\n{t}"
                for _o, r, c, s, t, st in recorded
            ]
        else:
            planned = [
                p for p in plan(conn, settings, as_of) if owner is None or p.owner.code == owner
            ]
            conn.rollback()
            parts = [
                f"To: {', '.join(p.recipients)}\nCc: {', '.join(p.cc)}\n"
                f"Subject: {p.rendered.subject}\nStatus: preview\n\n{p.rendered.text}"
                for p in planned
            ]
    finally:
        conn.close()
    if not parts:
        return f"no digest for {as_of}" + (f" and owner {owner}" if owner else "")
    return ("\n" + "=" * 72 + "\n").join(parts)
