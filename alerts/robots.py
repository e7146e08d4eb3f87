"""Group-robot messages (企业微信 / 钉钉): a Markdown summary of each digest for owners that have a
robot in the channels file, besides the mail.

Protocol (never sent twice): the message is recorded in alerts.robot_message with the digest;
before the request its status becomes 'sending' (committed), after the answer 'sent' (errcode 0),
'failed' (refused, rate limited or unreachable: nothing reached the group, retried) or
'unconfirmed' (the request went out and no usable answer came back: it may have reached the
group, so it is not sent again). A 'sending' left by a crashed run becomes 'unconfirmed' on
the next run. A robot has no message id to drop duplicates, so an uncertain message is at most
lost (and the mail carries the same digest), never doubled.

Limits: at most robot_rate_limit messages per robot_rate_window seconds per webhook (20 a
minute), paced here; a rate-limited answer (WeCom 45009, DingTalk 130101, e.g. another system
posting to the same group) waits out the window and retries, at most robot_max_waits times a
robot and run; what is left is retried on the next night. Markdown at most 4096 bytes: the
list of items is shortened to fit, and the message says so."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote_plus, urlsplit
from urllib.request import getproxies, proxy_bypass

from alerts.channels import DINGTALK, WECOM, Channel
from alerts.items import Item
from alerts.lifecycle import NEW, REMINDER, RESOLVED, Digest, Entry
from alerts.render import entry_line, environment, summarise

if TYPE_CHECKING:
    from projledger.settings import Settings

log = logging.getLogger(__name__)

MAX_BYTES = 4096  # WeCom's limit on markdown content; DingTalk's is larger, one budget for both
MAX_ITEMS = 10  # the most urgent items listed; the mail has them all
MAX_LINE = 200  # characters of one item line
RATE_LIMITED = {WECOM: 45009, DINGTALK: 130101}
SENT, FAILED, LIMITED, UNCONFIRMED = "sent", "failed", "rate_limited", "unconfirmed"


# --- the message -----------------------------------------------------------------------------


def _urgency(entry: Entry) -> tuple:
    """Escalated first, then red, yellow, the rest; new before reminders; longest open first."""
    grade = {"red": 0, "yellow": 1}.get(entry.item.grade or "", 2)
    state = {NEW: 0, REMINDER: 1}.get(entry.state, 2)
    return (not entry.escalated, grade, state, -(entry.days_open or 0))


@dataclass
class Markdown:
    title: str
    body: str
    listed: int
    left_out: int


def markdown(
    digest: Digest, owner_name: str, as_of: date, subject: str, limit: int = MAX_BYTES
) -> Markdown:
    """The robot's summary of a digest, within `limit` bytes of UTF-8."""
    template = environment().get_template("robot.md.j2")
    summary = summarise(digest)
    live = sorted((e for e in digest.entries if e.state != RESOLVED), key=_urgency)
    lines = []
    for e in live[:MAX_ITEMS]:
        line = entry_line(e)
        lines.append(line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…")
    n = len(lines)
    while True:
        body = template.render(
            d=summary,
            owner_name=owner_name,
            as_of=as_of,
            subject=subject,
            lines=lines[:n],
            left_out=len(live) - n,
            truncated=n < len(lines),
        ).strip()
        if len(body.encode("utf-8")) <= limit or n == 0:
            break
        n -= 1
    if len(body.encode("utf-8")) > limit:  # only an absurd owner name or subject gets here
        body = body.encode("utf-8")[: limit - 3].decode("utf-8", "ignore") + "…"
    title = f"预警摘要 {owner_name} {as_of:%Y-%m-%d}"
    return Markdown(title, body, n, len(live) - n)


def payload(channel: Channel, message_title: str, body: str) -> bytes:
    if channel.kind == WECOM:
        data = {"msgtype": "markdown", "markdown": {"content": body}}
    else:
        data = {"msgtype": "markdown", "markdown": {"title": message_title, "text": body}}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: Base64 of HMAC-SHA256 keyed with the secret over
    "timestamp\\nsecret", URL-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return quote_plus(base64.b64encode(mac.digest()).decode())


def signed_url(channel: Channel) -> str:
    if channel.kind != DINGTALK:
        return channel.url
    ts = int(time.time() * 1000)  # the robot checks it against its clock: wall time, not as_of
    sep = "&" if urlsplit(channel.url).query else "?"
    return f"{channel.url}{sep}timestamp={ts}&sign={dingtalk_sign(channel.secret or '', ts)}"


# --- one request -----------------------------------------------------------------------------


@dataclass
class Answer:
    outcome: str  # SENT, FAILED, LIMITED or UNCONFIRMED
    error: str | None = None


def _connection(url, timeout: float) -> http.client.HTTPConnection:
    """A connection to the robot, through the HTTPS proxy of the environment (https_proxy,
    no_proxy) when there is one: government networks reach the robots' hosts only so."""
    if url.scheme != "https":
        return http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    proxy = getproxies().get("https")
    if proxy and not proxy_bypass(url.hostname or ""):
        p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        conn = http.client.HTTPSConnection(p.hostname, p.port or 3128, timeout=timeout)
        conn.set_tunnel(url.hostname, url.port or 443)
        return conn
    return http.client.HTTPSConnection(url.hostname, url.port, timeout=timeout)


def post(channel: Channel, body: bytes, timeout: float) -> Answer:
    """POST one message. Connecting is separate from sending so that a robot that cannot be
    reached (nothing sent: safe to retry) is told apart from one that took the request and
    gave no usable answer (maybe delivered: not retried)."""
    url = urlsplit(signed_url(channel))
    conn = _connection(url, timeout)
    target = url.path + (f"?{url.query}" if url.query else "")
    try:
        try:
            conn.connect()
        except OSError as exc:
            return Answer(FAILED, f"unreachable: {type(exc).__name__}: {exc}")
        try:
            conn.request("POST", target, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return Answer(UNCONFIRMED, f"no answer: {type(exc).__name__}: {exc}")
    finally:
        conn.close()
    if response.status != 200:
        # The robot's gateway refused the request: the group got nothing.
        return Answer(FAILED, f"HTTP {response.status}")
    try:
        answer = json.loads(raw)
        code = int(answer["errcode"])
    except (ValueError, KeyError, TypeError):
        return Answer(UNCONFIRMED, f"unreadable answer: {raw[:200]!r}")
    if code == 0:
        return Answer(SENT)
    error = f"errcode {code}: {answer.get('errmsg', '')}"
    return Answer(LIMITED if code == RATE_LIMITED[channel.kind] else FAILED, error)


class Pace:
    """At most `limit` messages in any `window` seconds to one robot. A send counts from
    when its answer came back, which is after the robot counted it, so the robot's own
    window never sees more than `limit`."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.done: deque[float] = deque()

    def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self.done and self.done[0] <= now - self.window:
                self.done.popleft()
            if len(self.done) < self.limit:
                return
            time.sleep(self.done[0] + self.window - now)

    def note(self) -> None:
        self.done.append(time.monotonic())

    def back_off(self) -> None:
        """The robot said too fast (someone else posts to it too): wait a whole window."""
        time.sleep(self.window)
        self.done.clear()


# --- recording and sending -------------------------------------------------------------------


def _entries(conn, alert_id: int) -> list[Entry]:
    with conn.cursor() as cur:
        cur.execute(
            "select state, days_open, escalated, detail from alerts.alert_item"
            " where alert_id = %s order by item_kind, item_id",
            (alert_id,),
        )
        return [
            Entry(Item.from_json(detail), state, days_open, escalated)
            for state, days_open, escalated, detail in cur.fetchall()
        ]


def record_messages(conn, channels: dict[str, Channel], as_of: date) -> int:
    """A robot message for each of tonight's recorded digests whose owner has a robot and
    none yet; rendered from the recorded items, so it says what the mail says."""
    if not channels:
        return 0
    with conn.cursor() as cur:
        cur.execute(
            "select a.alert_id, a.owner_dept, coalesce(a.owner_name, a.owner_dept), a.subject"
            " from alerts.alert as a where a.run_date = %s and a.owner_dept = any(%s)"
            " and not exists (select from alerts.robot_message as m"
            "                 where m.alert_id = a.alert_id)"
            " order by a.alert_id",
            (as_of, list(channels)),
        )
        todo = cur.fetchall()
    for alert_id, owner, owner_name, subject in todo:
        channel = channels[owner]
        digest = Digest(owner, _entries(conn, alert_id))
        md = markdown(digest, owner_name, as_of, subject)
        with conn.cursor() as cur:
            cur.execute(
                "insert into alerts.robot_message (alert_id, run_date, owner_dept, channel,"
                " robot, title, body_markdown, n_items_listed, n_items_left)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
                (
                    alert_id,
                    as_of,
                    owner,
                    channel.kind,
                    channel.robot,
                    md.title,
                    md.body,
                    md.listed,
                    md.left_out,
                ),
            )
    conn.commit()
    return len(todo)


def recover(conn, as_of: date) -> list[str]:
    """Messages a crashed run left 'sending' may have reached the group: 'unconfirmed'."""
    with conn.cursor() as cur:
        cur.execute(
            "update alerts.robot_message set status = 'unconfirmed'"
            " where status = 'sending' returning alert_id, run_date, owner_dept, channel"
        )
        rows = cur.fetchall()
        for alert_id, _run_date, _owner, channel in rows:
            cur.execute(
                "insert into alerts.delivery_attempt (alert_id, run_date, channel, success,"
                " error) values (%s, %s, %s, false, %s)",
                (alert_id, as_of, channel, "unconfirmed: the run stopped before the answer"),
            )
    conn.commit()
    return [
        f"UNCONFIRMED {channel} {run_date} {owner}: interrupted before the answer, not resent"
        for _a, run_date, owner, channel in rows
    ]


@dataclass
class Queued:
    alert_id: int
    run_date: date
    owner: str
    kind: str
    title: str
    body: str


def _queue(conn, as_of: date) -> list[Queued]:
    with conn.cursor() as cur:
        cur.execute(
            "select alert_id, run_date, owner_dept, channel, title, body_markdown"
            " from alerts.robot_message where status in ('pending', 'failed')"
            " and run_date <= %s order by run_date, alert_id",
            (as_of,),
        )
        return [Queued(*row) for row in cur.fetchall()]


def _claim(conn, q: Queued) -> bool:
    """The intent, committed before the request: a crash after this cannot resend."""
    with conn.cursor() as cur:
        cur.execute(
            "update alerts.robot_message set status = 'sending',"
            " sending_since = clock_timestamp()"
            " where alert_id = %s and status in ('pending', 'failed')",
            (q.alert_id,),
        )
        claimed = cur.rowcount == 1
    conn.commit()
    return claimed


def _settle(conn, q: Queued, channel: Channel, answer: Answer, as_of: date) -> None:
    status = {SENT: "sent", UNCONFIRMED: "unconfirmed"}.get(answer.outcome, "failed")
    with conn.cursor() as cur:
        cur.execute(
            "insert into alerts.delivery_attempt (alert_id, run_date, channel, success, error)"
            " values (%s, %s, %s, %s, %s)",
            (q.alert_id, as_of, q.kind, status == "sent", answer.error),
        )
        cur.execute(
            "update alerts.robot_message set status = %s, robot = %s,"
            " sent_at = case when %s then clock_timestamp() end"
            " where alert_id = %s",
            (status, channel.robot, status == "sent", q.alert_id),
        )
    conn.commit()


def _line(q: Queued, answer: Answer, as_of: date) -> str:
    what = f"{q.kind} {q.run_date} {q.owner}"
    if answer.outcome == SENT:
        return f"sent {what}" if q.run_date == as_of else f"retry {what}: delivered"
    if answer.outcome == UNCONFIRMED:
        return f"UNCONFIRMED {what}: {answer.error} (not resent)"
    return f"FAILED {what}: {answer.error} (retried next night)"


def _send_to_robot(
    conn, settings: Settings, todo: list[tuple[Queued, Channel]], as_of: date
) -> list[str]:
    """One robot's messages in order, paced; a rate-limited answer waits out the window and
    the same message is tried again (bounded); an unreachable robot ends its turn."""
    lines: list[str] = []
    pace = Pace(settings.robot_rate_limit, settings.robot_rate_window)
    waits = 0
    pending = deque(todo)
    while pending:
        q, channel = pending[0]
        pace.wait()
        if not _claim(conn, q):
            pending.popleft()
            continue
        answer = post(channel, payload(channel, q.title, q.body), settings.robot_timeout)
        pace.note()
        _settle(conn, q, channel, answer, as_of)
        if answer.outcome == LIMITED and waits < settings.robot_max_waits:
            waits += 1
            log.info("robot %s rate limited: waiting %ss", channel.robot, pace.window)
            pace.back_off()
            continue  # the same message again, now recorded 'failed'
        pending.popleft()
        lines.append(_line(q, answer, as_of))
        unreachable = answer.outcome == FAILED and (answer.error or "").startswith("unreachable")
        if unreachable or answer.outcome == LIMITED:
            why = "robot unreachable" if unreachable else "still rate limited"
            # The rest stay queued, untried, for the next night.
            lines += [
                f"FAILED {q2.kind} {q2.run_date} {q2.owner}: not tried, {why}" for q2, _ in pending
            ]
            break
    return lines


def send_robot_messages(
    conn, settings: Settings, channels: dict[str, Channel], as_of: date
) -> list[str]:
    """Send every pending or failed robot message up to tonight, robot by robot within its
    limits; returns one report line per message handled."""
    by_robot: dict[str, list[tuple[Queued, Channel]]] = {}
    for q in _queue(conn, as_of):
        channel = channels.get(q.owner)
        if channel is None or channel.kind != q.kind:
            # The owner's robot was removed or replaced by another kind: left as it is.
            log.warning("%s message %s %s: robot no longer configured", q.kind, q.run_date, q.owner)
            continue
        by_robot.setdefault(channel.url, []).append((q, channel))
    lines: list[str] = []
    for todo in by_robot.values():
        lines += _send_to_robot(conn, settings, todo, as_of)
    return lines
