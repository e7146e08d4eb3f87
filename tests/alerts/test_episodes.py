"""An item's episode is what the alerts listed since it last resolved: an item that resolves
and comes back starts a new one, an item whose last listing resolved it has none."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from alerts.items import Item
from alerts.lifecycle import SAVED_NIGHTS_SPAN, load_history, save_episodes
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


def _forgotten(conn, as_of: date) -> dict:
    """The history summed from every listing, as if no night had been saved."""
    with conn.cursor() as cur:
        cur.execute("delete from alerts.episode_night")
    history = load_history(conn, as_of)
    conn.rollback()
    return history


def test_a_night_needs_the_night_before_not_every_listing(conn):
    """Open items are listed again every night their owner has news: a year of nights lists
    them a year of times. A night starts from the episodes saved after the night before it,
    and of the listings reads only each open item's last one: with every earlier listing gone,
    its history is the same."""
    migrate(conn)
    items = [f"g{k}" for k in range(40)]
    for day in range(30):
        state = "new" if day == 0 else "reminder" if day % 7 == 0 else "open"
        _listing(conn, day, "swj", dict.fromkeys(items, state), escalated=day == 14)
        save_episodes(conn, D0 + timedelta(days=day))
        conn.commit()
    as_of = D0 + timedelta(days=30)
    history = load_history(conn, as_of)
    kept = history[("swj", "gap", "g0")]
    assert (kept.first_sent, kept.last_news, kept.escalated, kept.last_state) == (
        D0,
        D0 + timedelta(28),
        True,
        "open",
    )
    assert history == _forgotten(conn, as_of)

    with conn.cursor() as cur:
        cur.execute(
            "delete from alerts.alert_item where alert_id in "
            "(select alert_id from alerts.alert where run_date < %s)",
            (D0 + timedelta(days=29),),
        )
        assert cur.rowcount == 29 * len(items)
    assert load_history(conn, as_of) == history
    conn.rollback()


def test_saved_nights_give_the_history_every_listing_gives(conn):
    """Whatever the alerts listed, and in whatever order nights were recorded (a night re-run
    after later ones may add an alert), the saved nights change no night's history."""
    migrate(conn)
    rng = random.Random(13)
    states = ("new", "open", "reminder", "resolved")
    for day in range(16):
        for owner in ("swj", "tjj"):
            listed = {f"i{k}": rng.choice(states) for k in range(12) if rng.random() < 0.7}
            _listing(conn, day, owner, listed, escalated=rng.random() < 0.2)
        save_episodes(conn, D0 + timedelta(days=day))
        conn.commit()
    for day in range(17):
        as_of = D0 + timedelta(days=day)
        assert load_history(conn, as_of) == _forgotten(conn, as_of), day

    # night 5 re-run after night 15: a street's first digest of that night is recorded late
    _listing(conn, 5, "320602001", {"late": "new", "later": "reminder"})
    save_episodes(conn, D0 + timedelta(days=5))
    conn.commit()
    for day in (6, 10, 16):
        as_of = D0 + timedelta(days=day)
        history = load_history(conn, as_of)
        assert ("320602001", "gap", "late") in history
        assert history == _forgotten(conn, as_of), day


def test_only_the_last_month_of_saved_nights_is_kept(conn):
    """Saved nights are a cache of what the alerts say: each holds every open item, so a year
    of them would hold every open item 365 times. The month before the latest saved night is
    kept; a night further back is summed from every listing, to the same history."""
    migrate(conn)
    items = [f"g{k}" for k in range(5)]
    for day in range(40):
        _listing(conn, day, "swj", dict.fromkeys(items, "new" if day == 0 else "open"))
        save_episodes(conn, D0 + timedelta(days=day))
        conn.commit()
    with conn.cursor() as cur:
        cur.execute("select min(run_date), count(*) from alerts.episode_night")
        assert cur.fetchone() == (D0 + timedelta(days=39) - SAVED_NIGHTS_SPAN, 32)
        cur.execute("select count(distinct run_date) from alerts.episode")
        assert cur.fetchone() == (32,)
    for day in (5, 20, 40):
        as_of = D0 + timedelta(days=day)
        assert load_history(conn, as_of) == _forgotten(conn, as_of), day
