"""Group-robot channels against real local HTTP servers playing WeCom and DingTalk robots:
every owner's summary arrives exactly once within the robots' limits (size, rate, signature),
a rate-limited message is retried after the window, a robot that is down gets the message the
next night and never twice, an unanswered message is never resent, and fct_alert has the rows."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, timedelta

import pytest

from alerts import send_digests
from alerts.channels import ChannelsError
from alerts.items import REJECTED, Item
from alerts.lifecycle import NEW, Digest, Entry
from alerts.robots import markdown
from projledger.db import connect
from projledger.dbt_runner import run_dbt
from tests.alerts.conftest import free_port
from tests.alerts.robot_server import SECRET, Robot, serve
from tests.checks import warehouse as w

D0 = date(2026, 11, 2)
WINDOW = 1.5  # the robots' minute, shortened for the tests (settings, server alike)
RATE_LIMITED = {"wecom": 45009, "dingtalk": 130101}
LONG = "本月完成投资与自开工累计完成投资不一致" * 12  # 228 characters, ~680 bytes


@pytest.fixture
def world(settings, smtp_server, tmp_path):
    inbox, port = smtp_server
    s = dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        skip_empty_digests=True,
        channels_file=tmp_path / "channels.toml",
        robot_rate_window=WINDOW,
        robot_timeout=5.0,
    )
    conn = connect(s)
    w.load_ref(conn)
    w.create_marts(conn)
    with conn.cursor() as cur:
        cur.execute(
            "select dept_code, dept_name from ref.departments"
            " union all select street_code, street_name from ref.streets"
        )
        owners = dict(cur.fetchall())
    conn.commit()
    servers = []
    yield s, conn, inbox, owners, servers
    for server in servers:
        server.shutdown()
        server.server_close()
    conn.close()


def _channels(s, routes: dict[str, tuple[str, str]]) -> None:
    """routes: owner code -> (kind, url); DingTalk robots get the test secret."""
    lines = []
    for owner, (kind, url) in routes.items():
        lines += [f'["{owner}"]', f'kind = "{kind}"', f'url = "{url}"']
        if kind == "dingtalk":
            lines.append(f'secret = "{SECRET}"')
        lines.append("")
    s.channels_file.write_text("\n".join(lines), encoding="utf-8")


def _robot(servers, kind: str, port: int = 0, **kw) -> tuple[Robot, str]:
    robot = Robot(kind, window=WINDOW, **kw)
    server, url = serve(robot, port)
    servers.append(server)
    return robot, url


def _many_items_for_tjj(conn) -> None:
    for n in range(1, 15):
        w.add_rejected(conn, f"row-{n}", "stats_fai", "tjj", D0, n, "invalid_number", {})
        with conn.cursor() as cur:
            cur.execute(
                "update marts.fct_rejected_row set detail = %s where rejected_key = %s",
                (LONG, f"row-{n}"),
            )
    conn.commit()


def _times_named(robot: Robot, name: str) -> int:
    return sum(f"**{name}**" in t for t in robot.texts())


def _fct_alert(s, conn) -> list[tuple]:
    res = run_dbt(s, ["build", "-s", "fct_alert", "fct_alert_item"])  # and their tests
    assert res.success, res.error or res.summary()
    with conn.cursor() as cur:
        cur.execute(
            "select owner_dept, channel, status, n_attempts from marts.fct_alert"
            " order by owner_dept, channel"
        )
        rows = cur.fetchall()
    conn.commit()
    return rows


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_every_owner_once_within_limits_after_rate_limit(world, kind):
    s, conn, inbox, owners, servers = world
    s = dataclasses.replace(s, skip_empty_digests=False)  # all 23 owners get a digest
    assert len(owners) > 20
    # Another system posts to the same group robot: five of its twenty are gone.
    robot, url = _robot(servers, kind, others=5)
    _channels(s, {code: (kind, url) for code in owners})
    _many_items_for_tjj(conn)
    w.set_warnings(conn, D0, [(w.P1, None, "start_overdue", "red", 120, w.STREET_A)])

    lines = send_digests(s, D0)

    assert RATE_LIMITED[kind] in robot.answers, "the 21st message was not refused"
    assert robot.max_in_window() <= 20
    assert len(robot.accepted) == len(owners)
    for name in owners.values():
        assert _times_named(robot, name) == 1, (name, lines)
    assert not [c for c in robot.answers if c not in (0, RATE_LIMITED[kind])], robot.answers
    # The big digest was shortened to fit 4096 bytes and says so; counts are all there.
    tjj = next(t for t in robot.texts() if f"**{owners['tjj']}**" in t)
    assert len(tjj.encode("utf-8")) <= 4096
    assert "今日新增 **14** 项" in tjj and "消息长度所限" in tjj and "详见邮件" in tjj
    street_a = next(t for t in robot.texts() if f"**{owners[w.STREET_A]}**" in t)
    assert "红牌预警 **1** 项" in street_a and "开工逾期" in street_a
    assert len(inbox.take()) == len(owners)  # the mail went too, once each

    # Re-running the night sends nothing again.
    assert [line for line in send_digests(s, D0) if kind in line] == []
    assert len(robot.accepted) == len(owners)

    rows = _fct_alert(s, conn)
    robot_rows = [r for r in rows if r[1] == kind]
    assert {r[0] for r in robot_rows} == set(owners)
    assert all(r[2] == "sent" for r in robot_rows)
    assert {r[1] for r in rows} == {"smtp", kind}
    # The refused attempts are counted on the robot rows, not on the mail.
    assert sum(r[3] for r in robot_rows) == len(owners) + robot.answers.count(RATE_LIMITED[kind])


def test_pacing_keeps_to_twenty_a_window(world):
    s, conn, inbox, owners, servers = world
    s = dataclasses.replace(s, skip_empty_digests=False)
    robot, url = _robot(servers, "wecom")
    _channels(s, {code: ("wecom", url) for code in owners})
    w.set_warnings(conn, D0, [])
    started = time.monotonic()
    send_digests(s, D0)
    assert robot.answers == [0] * len(owners), "paced sending is never refused"
    assert robot.max_in_window() <= 20
    assert time.monotonic() - started >= WINDOW  # the 21st waited for the window


def test_robot_down_is_retried_next_night_once(world):
    s, conn, inbox, owners, servers = world
    port = free_port()  # nothing listens there yet
    url = f"http://127.0.0.1:{port}/robot/send?access_token=test-token-0123"
    _channels(s, {"swj": ("dingtalk", url)})
    w.add_gap(conn, "g-1", "missing_tax_record", "swj", D0, credit_code=w.C1)
    w.set_warnings(conn, D0, [])

    lines = send_digests(s, D0)
    assert any(line.startswith(f"FAILED dingtalk {D0} swj: unreachable") for line in lines)
    assert any(line.startswith(f"sent {D0} swj") for line in lines)  # the mail went
    lines = send_digests(s, D0)  # re-run, still down: no second message recorded
    assert any(line.startswith(f"FAILED dingtalk {D0} swj") for line in lines), lines
    with conn.cursor() as cur:
        cur.execute("select count(*), min(status) from alerts.robot_message")
        assert cur.fetchone() == (1, "failed")
    conn.commit()

    robot, _ = _robot(servers, "dingtalk", port=port)
    d1 = D0 + timedelta(days=1)
    w.add_gap(conn, "g-2", "missing_tax_record", "swj", d1, credit_code=w.C2)
    lines = send_digests(s, d1)
    assert f"retry dingtalk {D0} swj: delivered" in lines
    assert f"sent dingtalk {d1} swj" in lines
    assert len(robot.accepted) == 2
    assert [t.count("详见邮件") for t in robot.texts()] == [1, 1]
    assert [line for line in send_digests(s, d1 + timedelta(days=1)) if "dingtalk" in line] == []
    assert len(robot.accepted) == 2

    rows = [r for r in _fct_alert(s, conn) if r[1] == "dingtalk"]
    assert rows == [("swj", "dingtalk", "sent", 3), ("swj", "dingtalk", "sent", 1)]


def test_unanswered_or_interrupted_is_never_resent(world):
    s, conn, inbox, owners, servers = world
    robot, url = _robot(servers, "wecom", drop=True)
    _channels(s, {"swj": ("wecom", url), "tjj": ("wecom", url)})
    w.add_gap(conn, "g-1", "missing_tax_record", "swj", D0, credit_code=w.C1)
    w.set_warnings(conn, D0, [])
    lines = send_digests(s, D0)
    assert any(line.startswith(f"UNCONFIRMED wecom {D0} swj") for line in lines), lines
    assert len(robot.accepted) == 1  # it did reach the group

    # A run that died between its request and the answer leaves 'sending' behind.
    d1 = D0 + timedelta(days=1)
    w.add_gap(conn, "g-2", "missing_fai_report", "tjj", d1, project_code=w.P1)
    down = f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=test-token-0123"
    _channels(s, {"tjj": ("wecom", down)})
    send_digests(s, d1)
    with conn.cursor() as cur:
        cur.execute("update alerts.robot_message set status = 'sending' where owner_dept = 'tjj'")
    conn.commit()
    robot.drop = False
    _channels(s, {"swj": ("wecom", url), "tjj": ("wecom", url)})
    lines = send_digests(s, d1 + timedelta(days=1))
    assert any(line.startswith(f"UNCONFIRMED wecom {d1} tjj") for line in lines), lines
    assert not [line for line in lines if line.startswith(("sent wecom", "retry wecom"))]
    assert len(robot.accepted) == 1
    with conn.cursor() as cur:
        cur.execute("select owner_dept, status from alerts.robot_message order by owner_dept")
        assert cur.fetchall() == [("swj", "unconfirmed"), ("tjj", "unconfirmed")]
    conn.commit()


def test_wrong_secret_is_refused_and_bad_file_stops_the_run(world):
    s, conn, inbox, owners, servers = world
    robot, url = _robot(servers, "dingtalk", secret="SECsomething-else")
    _channels(s, {"swj": ("dingtalk", url)})
    w.add_gap(conn, "g-1", "missing_tax_record", "swj", D0, credit_code=w.C1)
    w.set_warnings(conn, D0, [])
    lines = send_digests(s, D0)
    assert any("errcode 310000" in line for line in lines), lines
    assert robot.accepted == []

    s.channels_file.write_text('[swj]\nkind = "dingtalk"\nurl = "https://x"\n', encoding="utf-8")
    with pytest.raises(ChannelsError, match="secret"):
        send_digests(s, D0 + timedelta(days=1))
    with conn.cursor() as cur:
        cur.execute("select count(*) from alerts.alert")
        assert cur.fetchone() == (1,)
    conn.commit()


def test_markdown_fits_and_neutralises_delivered_text():
    items = [
        Item(
            REJECTED,
            f"r{n}",
            "tjj",
            "invalid_number",
            D0,
            feed="stats_fai",
            file_name=f"[点我](http://evil.example)/{n}.csv",
            line_no=n,
            detail=LONG,
        )
        for n in range(12)
    ]
    digest = Digest("tjj", [Entry(i, NEW, 0) for i in items])
    md = markdown(digest, "区统计局", D0, "主题")
    assert len(md.body.encode("utf-8")) <= 4096
    assert md.listed + md.left_out == 12 and 0 < md.listed < 10
    assert f"另有{md.left_out}项未列出，消息长度所限" in md.body
    assert "](" not in md.body and "[点我]" not in md.body
