"""Delivery of a recorded alert: SMTP when a host is configured (STARTTLS and login when
set), otherwise an .eml file in $PROJLEDGER_HOME/outbox/<run_date>/. Every attempt is
recorded in alerts.delivery_attempt; an alert is marked sent only after the server took it,
and a failed one stays 'failed' to be retried the next night."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, localtime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from projledger.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Outgoing:
    alert_id: int
    run_date: date
    owner: str
    recipients: list[str]
    cc: list[str]
    subject: str
    body_text: str
    body_html: str
    attachment_name: str | None
    attachment: bytes | None
    message_id: str


def build_message(out: Outgoing, mail_from: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = ", ".join(out.recipients)
    if out.cc:
        msg["Cc"] = ", ".join(out.cc)
    msg["Subject"] = out.subject
    # One Message-ID per (night, owner): a retried send is recognisably the same mail.
    msg["Message-ID"] = out.message_id
    msg["Date"] = format_datetime(localtime())
    msg["X-Projledger-Run-Date"] = out.run_date.isoformat()
    msg["X-Projledger-Owner"] = out.owner
    msg.set_content(out.body_text, charset="utf-8")
    msg.add_alternative(out.body_html, subtype="html", charset="utf-8")
    if out.attachment is not None:
        msg.add_attachment(
            out.attachment, maintype="text", subtype="csv", filename=out.attachment_name
        )
    return msg


def channel_of(settings: Settings) -> str:
    return "smtp" if settings.smtp_host else "outbox"


def send_smtp(settings: Settings, msg: EmailMessage, to_addrs: list[str]) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_tls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg, from_addr=settings.mail_from, to_addrs=to_addrs)


def write_outbox(settings: Settings, out: Outgoing, msg: EmailMessage) -> Path:
    folder = Path(settings.outbox) / out.run_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{out.owner}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(bytes(msg))
    tmp.replace(path)  # whole file or none
    return path


def deliver(conn, settings: Settings, out: Outgoing, as_of: date) -> tuple[bool, str | None]:
    """Send one alert and record the attempt (committed); returns (success, error)."""
    channel = channel_of(settings)
    msg = build_message(out, settings.mail_from)
    error = None
    try:
        if channel == "smtp":
            send_smtp(settings, msg, out.recipients + out.cc)
        else:
            write_outbox(settings, out, msg)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("alert %s to %s failed: %s", out.alert_id, out.owner, error)
    with conn.cursor() as cur:
        cur.execute(
            "insert into alerts.delivery_attempt (alert_id, run_date, channel, success, error)"
            " values (%s, %s, %s, %s, %s)",
            (out.alert_id, as_of, channel, error is None, error),
        )
        if error is None:
            cur.execute(
                "update alerts.alert set status = 'sent', channel = %s,"
                " sent_at = clock_timestamp() where alert_id = %s",
                (channel, out.alert_id),
            )
        else:
            cur.execute(
                "update alerts.alert set status = 'failed', channel = %s where alert_id = %s",
                (channel, out.alert_id),
            )
    conn.commit()
    return error is None, error


def transmit(settings: Settings, msg: EmailMessage, to_addrs: list[str], outbox_file: Path) -> str:
    """Send any prepared message the way digests go (SMTP where configured, else an .eml file
    at outbox_file, written whole or not at all); returns the channel. Raises on failure."""
    channel = channel_of(settings)
    if channel == "smtp":
        send_smtp(settings, msg, to_addrs)
    else:
        outbox_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = outbox_file.with_name(outbox_file.name + ".tmp")
        tmp.write_bytes(bytes(msg))
        tmp.replace(outbox_file)
    return channel
