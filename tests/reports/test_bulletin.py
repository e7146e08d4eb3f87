"""The monthly bulletin rendered from a small published warehouse and checked the way a reader
meets it: opened in the system's headless Chromium (desktop and phone), printed to an A4 PDF whose
text pdftotext reads back, the same bytes when issued again, mailed once with the PDF attached and
recorded in reports.bulletin."""

from __future__ import annotations

import email
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from projledger.db import connect
from projledger.settings import Settings, load_settings
from reports.bulletin import due_month, issue_bulletin, issue_due, last_complete_month
from tests.reports import marts_fixture as mf

HEADINGS = [
    "一、总体情况",
    "二、街道综合排名",
    "三、红黄牌与应入尽入缺口",
    "四、审批时限",
    "五、招商线索",
    "六、载体平台",
    "七、月度投资完成情况",
]
TITLE = "崇川区重大项目月度通报(2026年10月)"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def issued(module_db: str, tmp_path_factory) -> Iterator[tuple[Settings, object, dict]]:
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("bulletin_home")
        mp.setenv("DATABASE_URL", module_db)
        mp.setenv("PROJLEDGER_HOME", str(home))
        mp.setenv("PROJLEDGER_BULLETIN_TO", "leaders@chongchuan.example.gov.cn, ban@example.cn")
        mp.delenv("PROJLEDGER_SMTP_HOST", raising=False)
        settings = load_settings()
        conn = connect(settings)
        facts = mf.load(conn)
        conn.close()
        first = issue_bulletin(settings, mf.MONTH, mf.AS_OF)
        yield settings, first, facts


def test_files_recorded_and_mailed_once(issued) -> None:
    settings, first, _ = issued
    assert first.html_path == settings.home / "bulletins" / "2026-10.html"
    assert first.pdf_path == settings.home / "bulletins" / "2026-10.pdf"
    assert first.status == "sent" and first.channel == "outbox"
    mails = sorted((settings.outbox / "bulletins").glob("*.eml"))
    assert len(mails) == 1
    msg = email.message_from_bytes(mails[0].read_bytes())
    assert msg["To"] == "leaders@chongchuan.example.gov.cn, ban@example.cn"
    assert "月度通报" in str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    pdfs = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_payload(decode=True) == first.pdf_path.read_bytes()

    # Issued again for the same month and as_of: the same bytes, not mailed a second time.
    again = issue_bulletin(settings, mf.MONTH, mf.AS_OF)
    assert (again.html_sha256, again.pdf_sha256) == (first.html_sha256, first.pdf_sha256)
    assert again.status == "sent"
    assert len(list((settings.outbox / "bulletins").glob("*.eml"))) == 1
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "select month::text, as_of::text, html_sha256, pdf_sha256, status, channel,"
            " sent_at is not null from reports.bulletin"
        )
        rows = cur.fetchall()
    conn.close()
    assert rows == [
        ("2026-10-01", "2026-11-24", first.html_sha256, first.pdf_sha256, "sent", "outbox", True)
    ]
    assert hashlib.sha256(first.html_path.read_bytes()).hexdigest() == first.html_sha256


def test_same_month_and_as_of_same_bytes(issued, tmp_path: Path) -> None:
    settings, first, _ = issued
    html, pdf = first.html_path.read_bytes(), first.pdf_path.read_bytes()
    again = issue_bulletin(settings, mf.MONTH, mf.AS_OF, send=False)
    assert again.html_path.read_bytes() == html
    assert again.pdf_path.read_bytes() == pdf
    # No clock and no network inside: nothing is fetched to view it.
    text = html.decode("utf-8")
    assert "http://" not in text and "https://" not in text and "<script" not in text


def test_pdf_text_is_selectable_chinese(issued) -> None:
    _, first, facts = issued
    text = subprocess.run(
        ["pdftotext", "-layout", str(first.pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for heading in HEADINGS:
        assert heading in text, heading
    assert facts["top_street"] in text
    info = subprocess.run(
        ["pdfinfo", str(first.pdf_path)], capture_output=True, text=True, check=True
    ).stdout
    assert "A4" in info


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_opens_in_a_real_browser(issued, viewport: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from reports.pdf import chromium_path

    settings, first, facts = issued
    shot = tmp_path / f"bulletin-{viewport}.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(settings.chromium))
        try:
            page = browser.new_page(viewport=VIEWPORTS[viewport])
            # Any request beyond the file itself would be the page reaching for the network.
            requests: list[str] = []
            page.on("request", lambda req: requests.append(req.url))
            page.goto(first.html_path.as_uri(), wait_until="load")
            assert page.title() == TITLE
            assert [r for r in requests if not r.startswith(("file:", "data:"))] == []

            ranking = page.locator("table.ranking").first
            rows = ranking.locator("tbody tr")
            assert rows.count() == 16
            first_row = rows.nth(0).locator("td")
            assert first_row.nth(0).inner_text() == "1"
            assert first_row.nth(1).inner_text() == facts["top_street"]
            # The tie for second place: 1, 2, 2, 4.
            ranks = [rows.nth(i).locator("td").nth(0).inner_text() for i in range(4)]
            assert ranks == ["1", "2", "2", "4"]

            charts = page.locator(".chart img")
            assert charts.count() == 3
            for i in range(charts.count()):
                box = charts.nth(i).bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 50
                natural = charts.nth(i).evaluate("img => [img.naturalWidth, img.naturalHeight]")
                assert natural[0] > 0 and natural[1] > 0, f"chart {i} did not render"

            overflowing = page.evaluate(
                """() => {
                    const width = document.documentElement.clientWidth;
                    return [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > width + 0.5)
                        .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' '
                                  + (e.textContent || '').slice(0, 30));
                }"""
            )
            assert overflowing == []
            assert page.evaluate(
                "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            )
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    # `PROJLEDGER_SCREENSHOT_DIR=docs` keeps the desktop screenshot (docs/bulletin.png).
    keep = os.environ.get("PROJLEDGER_SCREENSHOT_DIR")
    if keep and viewport == "desktop":
        shutil.copy(shot, Path(keep) / "bulletin.png")


def test_schedule() -> None:
    from datetime import date

    assert due_month(date(2026, 11, 20), 21) is None
    assert due_month(date(2026, 11, 21), 21) == date(2026, 10, 1)
    assert due_month(date(2026, 1, 25), 21) == date(2025, 12, 1)
    assert last_complete_month(date(2026, 11, 24)) == date(2026, 10, 1)
    assert last_complete_month(date(2026, 10, 31)) == date(2026, 10, 1)


def test_nightly_issue_sends_once(issued) -> None:
    from datetime import date

    settings, _, _ = issued
    # Before the 21st nothing; October's bulletin has gone already, so a later night does not
    # send it again.
    assert issue_due(settings, date(2026, 11, 20)) is None
    assert issue_due(settings, date(2026, 11, 25)) is None


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    from tests.alerts.conftest import Inbox, free_port

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_smtp_failure_then_sent_once(settings: Settings, smtp, monkeypatch) -> None:
    from tests.alerts.conftest import free_port

    inbox, port = smtp
    conn = connect(settings)
    mf.load(conn)
    conn.close()
    monkeypatch.setenv("PROJLEDGER_BULLETIN_TO", "leaders@chongchuan.example.gov.cn")
    monkeypatch.setenv("PROJLEDGER_SMTP_HOST", "127.0.0.1")

    # The mail server is down: recorded as failed with the reason, nothing sent.
    monkeypatch.setenv("PROJLEDGER_SMTP_PORT", str(free_port()))
    failed = issue_bulletin(load_settings(), mf.MONTH, mf.AS_OF)
    assert failed.status == "failed" and "ConnectionRefused" in (failed.error or "")

    # Up again: the same bulletin goes out once, through the digests' SMTP delivery.
    monkeypatch.setenv("PROJLEDGER_SMTP_PORT", str(port))
    sent = issue_bulletin(load_settings(), mf.MONTH, mf.AS_OF)
    assert (sent.status, sent.channel) == ("sent", "smtp")
    issue_bulletin(load_settings(), mf.MONTH, mf.AS_OF)
    received = inbox.take()
    assert len(received) == 1
    assert received[0].rcpt_tos == ["leaders@chongchuan.example.gov.cn"]
    attachments = list(received[0].message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    assert attachments[0].get_content() == sent.pdf_path.read_bytes()
    assert received[0].message["Subject"] == TITLE


def test_fct_bulletin_publishes_the_record(settings: Settings) -> None:
    from projledger.dbt_runner import run_dbt

    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            """insert into reports.bulletin (month, as_of, html_path, pdf_path, html_sha256,
                   pdf_sha256, recipients, channel, status, sent_at)
               values ('2026-10-01', '2026-11-24', 'b/2026-10.html', 'b/2026-10.pdf', 'h', 'p',
                       array['a@example.cn', 'b@example.cn'], 'smtp', 'sent',
                       '2026-11-25 02:30+08')"""
        )
    conn.commit()
    built = run_dbt(settings, ["build", "-s", "fct_bulletin"], mf.AS_OF)
    assert built.success, [(r.unique_id, r.message) for r in built.failed] or built.error
    with conn.cursor() as cur:
        cur.execute(
            "select month::text, as_of::text, html_sha256, pdf_sha256, recipients, channel"
            " from marts.fct_bulletin"
        )
        assert cur.fetchall() == [
            ("2026-10-01", "2026-11-24", "h", "p", "a@example.cn, b@example.cn", "smtp")
        ]
        cur.execute("select obj_description('marts.fct_bulletin'::regclass)")
        assert "月度通报" in cur.fetchone()[0]
    conn.close()
