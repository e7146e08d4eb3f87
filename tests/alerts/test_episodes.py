"""An item's episode is what the alerts listed since it last resolved: an item that resolves
and comes back starts a new one, an item whose last listing resolved it has none."""

from __future__ import annotations

import json
from datetime import date, timedelta

from alerts.items import Item
from alerts.lifecycle import load_history
from projledger.db.migrate import migrate

D0 = date(2026, 11, 2)


def _listing(conn, day: int, owner: str, states: dict[str, str], escalated: bool = False):
    with conn.cursor() as cur:
        cur.execute(
            "insert into alerts.alert (run_date, owner_dept, recipients, subject, body_text,"
            " body_html, message_id) values (%s, %s, '{}', '', '', '', %s) returning alert_id",
            (D0 + timedelta(days=day), owner, f"<{day}.{owner}>"),
        )
        alert_id = cur.fetchone()[0]
        for item_id, state in states.items():
            detail = Item("gap", item_id, owner, "missing_feed", detail=f"{item_id} day {day}")
            cur.execute(
                "insert into alerts.alert_item (alert_id, item_kind, item_id, state, escalated,"
                " detail) values (%s, 'gap', %s, %s, %s, %s::jsonb)",
                (alert_id, item_id, state, escalated, json.dumps(detail.to_json())),
            )
    conn.commit()


def test_an_episode_starts_again_after_the_item_resolved(conn):
    migrate(conn)
    _listing(conn, 0, "swj", {"back": "new", "gone": "new", "kept": "new"}, escalated=True)
    _listing(conn, 3, "swj", {"back": "resolved", "gone": "open", "kept": "open"})
    _listing(conn, 5, "swj", {"back": "new", "gone": "resolved", "kept": "reminder"})
    _listing(conn, 8, "swj", {"back": "open", "kept": "open"})
    _listing(conn, 9, "tjj", {"back": "new"})

    history = load_history(conn, D0 + timedelta(days=8))  # the night of day 8 not yet known
    assert set(history) == {("swj", "gap", "back"), ("swj", "gap", "kept")}
    back, kept = history[("swj", "gap", "back")], history[("swj", "gap", "kept")]
    assert (back.first_sent, back.last_news, back.escalated) == (
        D0 + timedelta(5),
        D0 + timedelta(5),
        False,
    )
    assert (back.last_state, back.last_item.detail) == ("new", "back day 5")
    assert (kept.first_sent, kept.last_news, kept.escalated) == (D0, D0 + timedelta(5), True)
    assert (kept.last_state, kept.last_item.detail) == ("reminder", "kept day 5")
