"""Department digests over several nights, delivered to a real SMTP server: routing (never
another owner's rows), new / reminder / escalation / resolution, waivers, idempotent re-runs,
a failed send retried the next night and delivered once, the outbox without SMTP."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, timedelta

import pytest

from alerts import preview, send_digests
from alerts.waivers import add_waiver, list_waivers
from projledger.db import connect
from tests.alerts.conftest import free_port
from tests.checks import warehouse as w

D0 = date(2026, 11, 2)
TJJ, SWJ, ZRZY = (
    "tjj@chongchuan.example.gov.cn",
    "swj@chongchuan.example.gov.cn",
    "zrzy@chongchuan.example.gov.cn",
)
STREET_A_MAIL, STREET_B_MAIL = "hpq@chongchuan.example.gov.cn", "rg@chongchuan.example.gov.cn"


def _rows(msg) -> list[dict]:
    parts = list(msg.iter_attachments())
    assert len(parts) == 1
    data = parts[0].get_payload(decode=True)
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must carry a UTF-8 BOM for Excel"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _by_owner(received) -> dict[str, object]:
    out = {}
    for r in received:
        owner = r.message["X-Projledger-Owner"]
        assert owner not in out, f"two digests for {owner} in one night"
        out[owner] = r
    return out


def _states(r) -> dict[str, str]:
    return {row["事项编号"]: row["状态"] for row in _rows(r.message)}


@pytest.fixture
def world(settings, smtp_server):
    inbox, port = smtp_server
    s = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, skip_empty_digests=True
    )
    conn = connect(s)
    w.load_ref(conn)
    w.create_marts(conn)
    yield s, conn, inbox
    conn.close()


def _night(s, conn, inbox, day, warnings):
    w.set_warnings(conn, day, warnings)
    lines = send_digests(s, day)
    return lines, _by_owner(inbox.take())


WARNINGS = [
    (w.P1, None, "start_overdue", "red", 120, w.STREET_A),
    (w.P2, None, "node_overdue", "yellow", 12, w.STREET_B),
    (None, "Z-09", "idle_land", "red", 400, "zrzy"),
]


def test_routing_reminders_escalation_resolution(world):
    s, conn, inbox = world
    w.add_gap(
        conn, "g-fai", "missing_fai_report", "tjj", D0, project_code=w.P1, period=date(2026, 9, 1)
    )
    w.add_gap(
        conn, "g-tax", "missing_tax_record", "swj", D0, credit_code=w.C1, period=date(2026, 9, 1)
    )
    w.add_rejected(
        conn,
        "row-1",
        "stats_fai",
        "tjj",
        D0,
        7,
        "invalid_project_code",
        {"project_code": "2024-BAD"},
        file_name="20261102.csv",
    )

    lines, got = _night(s, conn, inbox, D0, WARNINGS)
    assert set(got) == {"tjj", "swj", "zrzy", w.STREET_A, w.STREET_B}, lines
    assert got["tjj"].rcpt_tos == [TJJ]
    assert got["swj"].rcpt_tos == [SWJ]
    assert got["zrzy"].rcpt_tos == [ZRZY]
    assert got[w.STREET_A].rcpt_tos == [STREET_A_MAIL]
    assert got[w.STREET_B].rcpt_tos == [STREET_B_MAIL]
    # Never another owner's rows.
    assert _states(got["tjj"]) == {"g-fai": "今日新增", "row-1": "今日新增"}
    assert _states(got["swj"]) == {"g-tax": "今日新增"}
    assert _states(got["zrzy"]) == {"idle_land||Z-09": "今日新增"}
    assert _states(got[w.STREET_A]) == {f"start_overdue|{w.P1}|": "今日新增"}
    assert _states(got[w.STREET_B]) == {f"node_overdue|{w.P2}|": "今日新增"}
    body = got["tjj"].message.get_body(("plain",)).get_content()
    assert "今日新增" in body and "20261102.csv 第7行" in body and "项目代码格式错误" in body
    assert "固定资产投资月报缺报" in body
    html = got[w.STREET_A].message.get_body(("html",)).get_content()
    assert "红牌预警" in html
    assert all("Cc" not in r.message for r in got.values())

    # Nothing new the next night: no digest at all (empty digests are skipped).
    lines, got = _night(s, conn, inbox, D0 + timedelta(days=1), WARNINGS)
    assert got == {}, lines

    # A gap resolved on day 3: only its owner hears of it.
    w.resolve_gap(conn, "g-tax", D0 + timedelta(days=3))
    _, got = _night(s, conn, inbox, D0 + timedelta(days=3), WARNINGS)
    assert set(got) == {"swj"}
    assert _states(got["swj"]) == {"g-tax": "已解决"}

    # Day 7: reminders, no escalation yet; the quarantined row is not repeated.
    _, got = _night(s, conn, inbox, D0 + timedelta(days=7), WARNINGS)
    assert set(got) == {"tjj", "zrzy", w.STREET_A, w.STREET_B}
    assert _states(got["tjj"]) == {"g-fai": "仍未解决(提醒)"}
    assert all("Cc" not in r.message for r in got.values())
    assert "已持续7天" in got["tjj"].message.get_body(("plain",)).get_content()

    # Day 10: nothing due.
    _, got = _night(s, conn, inbox, D0 + timedelta(days=10), WARNINGS)
    assert got == {}

    # Day 14: open 14 days -> reminder escalated, the escalation address copied.
    day14 = D0 + timedelta(days=14)
    _, got = _night(s, conn, inbox, day14, WARNINGS)
    assert set(got) == {"tjj", "zrzy", w.STREET_A, w.STREET_B}
    assert got["tjj"].message["Cc"] == "tjj-director@chongchuan.example.gov.cn"
    assert "tjj-director@chongchuan.example.gov.cn" in got["tjj"].rcpt_tos
    assert got["tjj"].message["Subject"].startswith("【督办】")
    # Streets have no escalation address: the project office director is copied.
    assert got[w.STREET_A].message["Cc"] == "fgw-director@chongchuan.example.gov.cn"

    # Re-running the night sends nothing again.
    lines, got = _night(s, conn, inbox, day14, WARNINGS)
    assert got == {} and lines == []

    # Recorded for audit: one alert per owner and night, its items with their states.
    with conn.cursor() as cur:
        cur.execute(
            "select count(*), count(distinct (run_date, owner_dept)),"
            " bool_and(status = 'sent' and channel = 'smtp') from alerts.alert"
        )
        n, distinct, all_sent = cur.fetchone()
        assert n == distinct == 5 + 1 + 4 + 4 and all_sent
        cur.execute(
            "select a.owner_dept, i.state, i.escalated from alerts.alert_item i"
            " join alerts.alert a using (alert_id) where a.run_date = %s"
            " and i.item_id = 'g-fai'",
            (day14,),
        )
        assert cur.fetchall() == [("tjj", "reminder", True)]

    # A warning no longer found resolves for its street only.
    _, got = _night(s, conn, inbox, day14 + timedelta(days=1), WARNINGS[:1] + WARNINGS[2:])
    assert set(got) == {w.STREET_B}
    assert _states(got[w.STREET_B]) == {f"node_overdue|{w.P2}|": "已解决"}

    text = preview(s, day14, owner="tjj")
    assert "仍未解决" in text and "tjj-director" in text


def test_waiver_suppresses_without_resolving(world):
    s, conn, inbox = world
    w.add_gap(
        conn, "g-1", "missing_tax_record", "swj", D0, credit_code=w.C1, period=date(2026, 9, 1)
    )
    w.add_gap(
        conn, "g-2", "missing_tax_record", "swj", D0, credit_code=w.C2, period=date(2026, 9, 1)
    )
    add_waiver(s, owner="swj", item_id="g-2", until=D0 + timedelta(days=2), reason="企业已注销")
    _, got = _night(s, conn, inbox, D0, [])
    assert _states(got["swj"]) == {"g-1": "今日新增"}

    # A waiver on a rule hides an item already sent, and it is not reported resolved.
    add_waiver(
        s,
        owner=None,
        rule_id="missing_tax_record",
        until=D0 + timedelta(days=9),
        reason="税务系统升级，数据延迟报送",
    )
    _, got = _night(s, conn, inbox, D0 + timedelta(days=7), [])
    assert got == {}
    assert len(list_waivers(s)) == 2
    # Once lapsed: the never-sent item is new, the other one due its reminder.
    _, got = _night(s, conn, inbox, D0 + timedelta(days=10), [])
    assert _states(got["swj"]) == {"g-1": "仍未解决(提醒)", "g-2": "今日新增"}


def test_failed_send_is_retried_once(world):
    s, conn, inbox = world
    port = s.smtp_port
    w.add_gap(
        conn, "g-1", "missing_fai_report", "tjj", D0, project_code=w.P1, period=date(2026, 9, 1)
    )
    down = dataclasses.replace(s, smtp_port=free_port())  # nothing listens there
    w.set_warnings(conn, D0, [])
    lines = send_digests(down, D0)
    assert len(lines) == 1 and lines[0].startswith("FAILED"), lines
    assert inbox.take() == []
    with conn.cursor() as cur:
        cur.execute("select status from alerts.alert")
        assert cur.fetchall() == [("failed",)]

    # Re-running the failed night with SMTP still down records no second alert.
    assert send_digests(down, D0)[0].startswith("FAILED")

    up = dataclasses.replace(s, smtp_port=port)
    w.add_gap(
        conn,
        "g-2",
        "missing_fai_report",
        "tjj",
        D0 + timedelta(days=1),
        project_code=w.P2,
        period=date(2026, 9, 1),
    )
    lines = send_digests(up, D0 + timedelta(days=1))
    assert lines[0].startswith(f"retry {D0} tjj: delivered"), lines
    received = inbox.take()
    nights = sorted(r.message["X-Projledger-Run-Date"] for r in received)
    assert nights == [D0.isoformat(), (D0 + timedelta(days=1)).isoformat()]
    night2 = next(r for r in received if r.message["X-Projledger-Run-Date"] != D0.isoformat())
    assert _states(night2) == {"g-1": "仍未解决", "g-2": "今日新增"}
    # Night 3: nothing is sent twice.
    assert send_digests(up, D0 + timedelta(days=2)) == []
    assert inbox.take() == []
    with conn.cursor() as cur:
        cur.execute("select count(*), count(*) filter (where success) from alerts.delivery_attempt")
        assert cur.fetchone() == (4, 2)


def test_outbox_without_smtp(world):
    s, conn, inbox = world
    s = dataclasses.replace(s, smtp_host=None)
    w.add_gap(conn, "g-1", "missing_feed", "swj", D0, feed="tax")
    w.set_warnings(conn, D0, [])
    lines = send_digests(s, D0)
    assert len(lines) == 1
    eml = s.outbox / D0.isoformat() / "swj.eml"
    assert eml.exists()
    assert "X-Projledger-Owner: swj" in eml.read_text(encoding="utf-8", errors="replace")
    with conn.cursor() as cur:
        cur.execute("select channel, status from alerts.alert")
        assert cur.fetchall() == [("outbox", "sent")]
