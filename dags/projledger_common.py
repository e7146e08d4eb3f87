"""What every Project Ledger DAG shares: paths, default args, the business date, callbacks.

Wiring only. Reading environment variables is all this module does at import time: the
scheduler parses DAG files every few seconds, so nothing here may touch the database, the
network or dbt (``ingest`` is imported inside the functions, at task run time).
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from projledger.settings import default_as_of, district_timezone

log = logging.getLogger(__name__)

TIMEZONE = str(district_timezone())
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = Path(os.environ.get("PROJLEDGER_DBT_DIR", REPO_ROOT / "dbt_project"))
DBT_MANIFEST = Path(
    os.environ.get("PROJLEDGER_DBT_MANIFEST", DBT_PROJECT_DIR / "target" / "manifest.json")
)
# "cosmos": one Airflow task per dbt node (dbt build of the node, its tests included), read from
# the compiled manifest. "task": one task running the whole dbt build, as `projledger run` does.
DBT_MODE = os.environ.get("PROJLEDGER_AIRFLOW_DBT", "cosmos")
# A pool of few slots keeps many districts' runs from overloading one database (operations.md).
DB_POOL = os.environ.get("PROJLEDGER_AIRFLOW_POOL", "default_pool")

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-team",
    # Transient failures (a database restart, SMTP down) heal within minutes; a broken file
    # does not fail a task at all (it is a rejected batch and an alert).
    "retries": int(os.environ.get("PROJLEDGER_AIRFLOW_RETRIES", "3")),
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}


def home() -> Path:
    return Path(os.environ.get("PROJLEDGER_HOME", ".projledger")).resolve()


def inbox() -> Path:
    """The drop folder: PROJLEDGER_INBOX, else `inbox/` under PROJLEDGER_HOME."""
    return Path(os.environ.get("PROJLEDGER_INBOX") or home() / "inbox")


def as_of(context: Any) -> date:
    """The business date a run closes.

    The nightly schedule is a data interval of one day starting at 02:00 Asia/Shanghai: the run
    for business date D has logical date D 02:00 and starts at D+1 02:00, when the night's
    deliveries are in. So as_of = the logical date in Asia/Shanghai. A manual run may name the
    night with conf {"as_of": "YYYY-MM-DD"}; one without a logical date closes yesterday.
    """
    conf = getattr(context.get("dag_run"), "conf", None) or {}
    if conf.get("as_of"):
        return date.fromisoformat(str(conf["as_of"]))
    logical = context.get("logical_date")
    if logical is not None:
        return logical.in_timezone(TIMEZONE).date()
    return default_as_of(now=context["dag_run"].run_after)


PREPARE_TASK = "prepare_warehouse"


def dbt_interceptor(context: Any, operator: Any) -> None:
    """Give each Cosmos dbt task the night's connection, vars and dbt parse at run time (from
    the prepare_warehouse task's XCom; projledger.airflow_night).

    Resolved here, not in the DAG file: resolving the connection may start the embedded
    server, which must never happen while the file is parsed.
    """
    from projledger.airflow_night import dbt_task_setup
    from projledger.dbt_runner import night_vars
    from projledger.settings import load_settings

    prepared = context["ti"].xcom_pull(task_ids=PREPARE_TASK)
    if not prepared:  # no prepare task ran: a parse of its own, the ledger analyzed by dbt
        prepared = {"vars": night_vars(as_of(context))}
    dbt_task_setup(operator, load_settings(), prepared)


def notify_failure(context: Any) -> None:
    """Tell the data team a task failed for good: log, a line in failures.log, and a mail
    when SMTP is configured. Never raises: a broken callback must not hide the failure."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", "?")
    error = context.get("exception")
    line = (
        f"{datetime.now().isoformat(timespec='seconds')}\t{dag_id}\t{task_id}\t{run_id}"
        f"\ttry {getattr(ti, 'try_number', '?')}\t{error!r}"
    )
    log.error("task failed: %s", line)
    try:
        path = home() / "airflow" / "failures.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError:
        log.exception("could not write failures.log")
    try:
        _mail_data_team(f"[projledger] {dag_id}.{task_id} failed ({run_id})", line)
    except Exception:  # noqa: BLE001 - the callback reports, it never fails the run again
        log.exception("could not mail the data team")


def _mail_data_team(subject: str, body: str) -> None:
    import smtplib
    from email.message import EmailMessage

    from projledger.settings import load_settings

    settings = load_settings()
    to = os.environ.get("PROJLEDGER_DATA_TEAM_EMAIL")
    if not (settings.smtp_host and to):
        return
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, settings.mail_from, to
    msg.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_tls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)


DEFAULT_ARGS["on_failure_callback"] = notify_failure
