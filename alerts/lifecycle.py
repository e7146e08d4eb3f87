"""Which items are new, still open, due a reminder, escalated or resolved tonight, decided
from the run's as_of and the alerts recorded for earlier nights (run_date < as_of) only, so a
night re-run later gives the same digest.

- new: not in an open episode of an earlier alert (a rejected row: never alerted before);
- reminder: open, and `remind_days` since it was last sent as new or reminder, or the night it
  reaches `escalate_days` open (then escalated: the escalation address is copied);
- open: listed in the digest, not re-sent as news;
- resolved: in an open episode of an earlier alert, no longer found tonight (gaps, warnings).
Quarantined rows and rejected files are one-off news: sent once, as new."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from alerts.items import REJECTED, Item

NEW, OPEN, REMINDER, RESOLVED = "new", "open", "reminder", "resolved"


@dataclass
class Episode:
    """An item's alert history since it last resolved."""

    first_sent: date
    last_news: date | None  # last night sent as new or reminder
    escalated: bool
    last_state: str
    last_item: Item


@dataclass
class Entry:
    item: Item
    state: str
    days_open: int | None
    escalated: bool = False


@dataclass
class Digest:
    owner: str
    entries: list[Entry] = field(default_factory=list)

    def of(self, state: str) -> list[Entry]:
        return [e for e in self.entries if e.state == state]

    @property
    def news(self) -> bool:
        """Anything to tell: new, reminder or resolved items."""
        return any(e.state != OPEN for e in self.entries)

    @property
    def escalated(self) -> bool:
        return any(e.escalated and e.state in (NEW, REMINDER) for e in self.entries)


# An item's open episode as of a night: the listings before `as_of` since it last resolved
# (a key whose last listing resolved it has none; a rejected row, never resolved, keeps its
# one listing, since it is never re-sent). The episodes saved after the latest night before
# `as_of` that still counts every alert up to it (a saved night) stand for the listings up to
# that night, each as one listing; the listings recorded since are summed onto them. With no
# saved night, every listing is summed.
_EPISODES = """
    with base as (
        select n.run_date
        from alerts.episode_night as n
        where n.run_date < %(base_before)s
          and (n.n_alerts, n.max_alert_id) = (
              select count(*), coalesce(max(a.alert_id), 0)
              from alerts.alert as a where a.run_date <= n.run_date
          )
        order by n.run_date desc
        limit 1
    ),
    listed as (
        select l.*,
               row_number() over (
                   partition by l.owner_dept, l.item_kind, l.item_id
                   order by l.run_date, l.alert_id
               ) as seq
        from (
            select e.owner_dept, e.item_kind, e.item_id, e.run_date, e.last_alert_id as alert_id,
                   %(open)s as state, e.escalated, e.first_sent, e.last_news as news_on
            from alerts.episode as e
            inner join base using (run_date)
            union all
            select a.owner_dept, i.item_kind, i.item_id, a.run_date, a.alert_id, i.state,
                   i.escalated, a.run_date,
                   case when i.state in (%(new)s, %(reminder)s) then a.run_date end
            from alerts.alert as a
            inner join alerts.alert_item as i on i.alert_id = a.alert_id
            where a.run_date < %(as_of)s
              and a.run_date > coalesce((select b.run_date from base as b), '-infinity')
        ) as l
    ),
    resolved as (
        select owner_dept, item_kind, item_id, max(seq) as seq
        from listed where state = %(resolved)s
        group by owner_dept, item_kind, item_id
    ),
    episodes as (
        select l.owner_dept, l.item_kind, l.item_id, min(l.first_sent) as first_sent,
               max(l.news_on) as last_news, bool_or(l.escalated) as escalated,
               (array_agg(l.alert_id order by l.seq desc))[1] as last_alert_id
        from listed as l
        left join resolved as r using (owner_dept, item_kind, item_id)
        where l.seq > coalesce(r.seq, 0)
        group by l.owner_dept, l.item_kind, l.item_id
    )
"""


def _params(as_of: date, base_before: date | None = None) -> dict:
    return {
        "as_of": as_of,
        "base_before": base_before or as_of,
        "open": OPEN,
        "resolved": RESOLVED,
        "new": NEW,
        "reminder": REMINDER,
        "rejected_kind": REJECTED,
    }


def load_history(conn, as_of: date) -> dict[tuple[str, str, str], Episode]:
    """(owner, kind, item_id) -> its open episode as of `as_of` (_EPISODES). Summed in the
    database: a night reads one row per open item, not every item of every earlier alert."""
    with conn.cursor() as cur:
        cur.execute(
            _EPISODES
            + """
            -- the last listing's state and item, by the items' key; a rejected row's item is
            -- never listed again (only whether it was sent counts): its JSON is not read
            select e.owner_dept, e.item_kind, e.item_id, e.first_sent, e.last_news, e.escalated,
                   last.state,
                   case when e.item_kind <> %(rejected_kind)s then last.detail end as detail
            from episodes as e
            join alerts.alert_item as last
                on last.alert_id = e.last_alert_id and last.item_kind = e.item_kind
                and last.item_id = e.item_id
            """,
            _params(as_of),
        )
        rows = cur.fetchall()
    return {
        (owner, kind, item_id): Episode(
            first_sent=first_sent,
            last_news=last_news,
            escalated=escalated,
            last_state=state,
            last_item=Item.from_json(detail) if detail else Item(kind, item_id, owner, ""),
        )
        for owner, kind, item_id, first_sent, last_news, escalated, state, detail in rows
    }


# How far back saved nights are kept, before the night saved last. Each holds every open item:
# kept forever, a year of them would hold each one 365 times. A night re-run further back sums
# every listing instead (a saved night is a cache; its history is the same).
SAVED_NIGHTS_SPAN = timedelta(days=31)


def save_episodes(conn, night: date) -> None:
    """Save the open episodes after `night` (its digests recorded), for the nights after it to
    start from, and drop the saved nights more than SAVED_NIGHTS_SPAN before it. Saving a night
    again replaces it. In the caller's transaction."""
    with conn.cursor() as cur:
        cur.execute(
            "delete from alerts.episode_night where run_date = %s or run_date < %s",
            (night, night - SAVED_NIGHTS_SPAN),
        )
        cur.execute(
            "insert into alerts.episode_night (run_date, n_alerts, max_alert_id) "
            "select %s, count(*), coalesce(max(alert_id), 0) from alerts.alert "
            "where run_date <= %s",
            (night, night),
        )
        cur.execute(
            _EPISODES
            + """
            insert into alerts.episode (run_date, owner_dept, item_kind, item_id, first_sent,
                last_news, escalated, last_alert_id)
            select %(night)s, e.owner_dept, e.item_kind, e.item_id, e.first_sent, e.last_news,
                   e.escalated, e.last_alert_id
            from episodes as e
            """,
            {**_params(night + timedelta(days=1), base_before=night), "night": night},
        )


def decide(
    items: list[Item],
    history: dict,
    known_kinds: set[str],
    as_of: date,
    remind_days: int,
    escalate_days: int,
    waived: set[tuple[str, str, str]] | frozenset = frozenset(),
) -> dict[str, Digest]:
    """Tonight's digest per owner (only owners with at least one entry). `items` are the
    unwaived current items; `waived` the keys of current items under a waiver (neither listed
    nor resolved)."""
    digests: dict[str, Digest] = defaultdict(lambda: Digest(owner=""))
    seen: set[tuple[str, str, str]] = set()
    for item in items:
        key = (item.owner, item.kind, item.item_id)
        seen.add(key)
        digest = digests[item.owner]
        digest.owner = item.owner
        ever_sent = key in history
        ep = history.get(key)
        if item.kind == REJECTED:
            if not ever_sent:
                digest.entries.append(Entry(item, NEW, _days(item.opened_on, as_of)))
            continue
        if ep is None:
            days = _days(item.opened_on or as_of, as_of)
            digest.entries.append(Entry(item, NEW, days, escalated=days >= escalate_days))
            continue
        opened = item.opened_on or ep.first_sent
        days = _days(opened, as_of)
        item.opened_on = opened
        reaches_escalation = days >= escalate_days and not ep.escalated
        reminder_due = ep.last_news is None or (as_of - ep.last_news).days >= remind_days
        if reaches_escalation or reminder_due:
            digest.entries.append(Entry(item, REMINDER, days, escalated=days >= escalate_days))
        else:
            digest.entries.append(Entry(item, OPEN, days, escalated=False))
    for key, ep in history.items():
        owner, kind, _item_id = key
        if (
            ep is None
            or key in seen
            or key in waived
            or kind == REJECTED
            or kind not in known_kinds
        ):
            continue
        item = ep.last_item
        days = _days(item.opened_on or ep.first_sent, as_of)
        digest = digests[owner]
        digest.owner = owner
        digest.entries.append(Entry(item, RESOLVED, days))
    return dict(digests)


def _days(opened: date | None, as_of: date) -> int | None:
    return None if opened is None else max((as_of - opened).days, 0)
