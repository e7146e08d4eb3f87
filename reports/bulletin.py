"""Issuing the monthly bulletin (月度通报): gather the figures from the marts, render the HTML and
the PDF under $PROJLEDGER_HOME/bulletins/, record it in reports.bulletin (published as
marts.fct_bulletin), and mail it with the PDF attached to PROJLEDGER_BULLETIN_TO through the
digests' delivery (SMTP, or the outbox). A bulletin is mailed once: re-issuing the same month and
as_of rewrites the same bytes and does not send it again."""

from __future__ import annotations

import hashlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, localtime
from pathlib import Path
from typing import TYPE_CHECKING

from projledger.db import connect
from projledger.settings import rule_vars
from reports.figures import gather, month_add, warehouse_as_of
from reports.pdf import print_pdf
from reports.render import render_html

if TYPE_CHECKING:
    from projledger.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issued:
    month: date
    as_of: date
    html_path: Path
    pdf_path: Path
    html_sha256: str
    pdf_sha256: str
    status: str
    channel: str | None = None
    error: str | None = None


def parse_month(text: str) -> date:
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def last_complete_month(as_of: date) -> date:
    """The month before as_of's, or as_of's own month when as_of is its last day."""
    if month_add(date(as_of.year, as_of.month, 1), 1).toordinal() - 1 == as_of.toordinal():
        return date(as_of.year, as_of.month, 1)
    return month_add(date(as_of.year, as_of.month, 1), -1)


def due_month(as_of: date, issue_day: int) -> date | None:
    """The month whose bulletin the night of as_of issues, if it has not been yet: from day
    issue_day on, the month before."""
    if as_of.day < issue_day:
        return None
    return month_add(date(as_of.year, as_of.month, 1), -1)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def render_files(settings: Settings, month: date, as_of: date | None = None) -> Issued:
    """Render the month's bulletin from the warehouse (built for as_of) into HTML and PDF."""
    conn = connect(settings)
    try:
        built = warehouse_as_of(conn)
        if as_of is None:
            as_of = built
        if as_of is None:
            raise RuntimeError("the warehouse has not been built yet: run a night first")
        if built is not None and built != as_of:
            raise RuntimeError(
                f"the warehouse is built as of {built}, not {as_of}: "
                f"run `projledger build --as-of {as_of}` first"
            )
        rules = rule_vars(settings.dbt_project_dir)
        figures = gather(conn, month, as_of, int(rules.get("approval_chain_target_days", 50)))
    finally:
        conn.close()
    html = render_html(figures, rules).encode("utf-8")
    pdf = print_pdf(html.decode("utf-8"), as_of, settings.chromium)
    stem = f"{month.year:04d}-{month.month:02d}"
    html_path = settings.bulletins / f"{stem}.html"
    pdf_path = settings.bulletins / f"{stem}.pdf"
    _write(html_path, html)
    _write(pdf_path, pdf)
    return Issued(
        month=month,
        as_of=as_of,
        html_path=html_path,
        pdf_path=pdf_path,
        html_sha256=hashlib.sha256(html).hexdigest(),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        status="rendered",
    )


def _message(settings: Settings, issued: Issued, recipients: list[str]) -> EmailMessage:
    month = issued.month
    title = f"崇川区重大项目月度通报({month.year}年{month.month}月)"
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = title
    msg["Message-ID"] = f"<bulletin-{month:%Y-%m}-{issued.as_of.isoformat()}@projledger.chongchuan>"
    msg["Date"] = format_datetime(localtime())
    msg["X-Projledger-Run-Date"] = issued.as_of.isoformat()
    msg.set_content(
        f"各位领导:\n\n附件为{title},数据截至{issued.as_of.year}年{issued.as_of.month}月"
        f"{issued.as_of.day}日。\n\n项目库数据仓库(自动发送)\n",
        charset="utf-8",
    )
    msg.add_attachment(
        issued.pdf_path.read_bytes(),
        maintype="application",
        subtype="pdf",
        filename=f"月度通报-{month:%Y-%m}.pdf",
    )
    return msg


def _record(conn, issued: Issued, recipients: list[str]) -> str:
    """Upsert the bulletin's row; returns its status (a sent bulletin stays sent)."""
    with conn.cursor() as cur:
        cur.execute(
            """insert into reports.bulletin
                   (month, as_of, html_path, pdf_path, html_sha256, pdf_sha256, recipients)
               values (%s, %s, %s, %s, %s, %s, %s)
               on conflict (month, as_of) do update set
                   html_path = excluded.html_path, pdf_path = excluded.pdf_path,
                   html_sha256 = excluded.html_sha256, pdf_sha256 = excluded.pdf_sha256,
                   recipients = case when reports.bulletin.status = 'sent'
                                     then reports.bulletin.recipients
                                     else excluded.recipients end
               returning status""",
            (
                issued.month,
                issued.as_of,
                str(issued.html_path),
                str(issued.pdf_path),
                issued.html_sha256,
                issued.pdf_sha256,
                recipients,
            ),
        )
        status = cur.fetchone()[0]
    conn.commit()
    return status


def issue_bulletin(
    settings: Settings, month: date, as_of: date | None = None, send: bool = True
) -> Issued:
    """Render, record and (once) mail the month's bulletin."""
    from alerts.deliver import transmit

    issued = render_files(settings, month, as_of)
    recipients = list(settings.bulletin_to)
    conn = connect(settings)
    try:
        status = _record(conn, issued, recipients)
        if status == "sent" or not send or not recipients:
            if send and not recipients:
                log.info("PROJLEDGER_BULLETIN_TO is not set: bulletin %s not mailed", month)
            return Issued(**{**issued.__dict__, "status": status})
        outbox_file = settings.outbox / "bulletins" / f"{month:%Y-%m}_{issued.as_of}.eml"
        channel, error = None, None
        try:
            channel = transmit(
                settings, _message(settings, issued, recipients), recipients, outbox_file
            )
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("bulletin %s not sent: %s", month, error)
        with conn.cursor() as cur:
            cur.execute(
                """update reports.bulletin
                   set status = %s, channel = %s, error = %s,
                       sent_at = case when %s then clock_timestamp() end
                   where month = %s and as_of = %s""",
                (
                    "failed" if error else "sent",
                    channel,
                    error,
                    error is None,
                    month,
                    issued.as_of,
                ),
            )
        conn.commit()
        return Issued(
            **{
                **issued.__dict__,
                "status": "failed" if error else "sent",
                "channel": channel,
                "error": error,
            }
        )
    finally:
        conn.close()


def issue_due(settings: Settings, as_of: date) -> Issued | None:
    """The nightly step: on the first night on or after the issue day, the month before's
    bulletin; a later night sends it only if it has not gone yet (a failed send is retried)."""
    rules = rule_vars(settings.dbt_project_dir)
    month = due_month(as_of, int(rules.get("bulletin_issue_day", 21)))
    if month is None:
        return None
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select as_of, status from reports.bulletin where month = %s"
                " order by as_of limit 1",
                (month,),
            )
            found = cur.fetchone()
    finally:
        conn.close()
    if found is not None and (found[1] == "sent" or not settings.bulletin_to):
        return None
    # The first night's as_of only when it is this night: otherwise tonight's warehouse.
    return issue_bulletin(settings, month, as_of)
