"""`make demo`: a generated district, one night through the whole pipeline, a summary."""

from __future__ import annotations

import shutil
from datetime import date

from projledger.db import database_url, embedded
from projledger.night import run_night
from projledger.settings import Settings


def reset_embedded(settings: Settings) -> None:
    """Drop and recreate the embedded warehouse database (never a DATABASE_URL one)."""
    import psycopg2

    port = embedded.start(settings.home)
    conn = psycopg2.connect(embedded.url(port, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{embedded.DB_NAME}" with (force)')
        cur.execute(f'create database "{embedded.DB_NAME}"')
    conn.close()


def run_demo(settings: Settings, as_of: date, seed: int = 1, scale: float = 1.0) -> int:
    from projledger.generate import generate

    if settings.database_url_override:
        print(
            "The demo resets its database: it runs on the embedded server only. "
            "Unset DATABASE_URL to run it."
        )
        return 2
    inbox = settings.home / "demo-inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    print(f"Generating a district (seed {seed}, scale {scale}) as of {as_of} into {inbox} ...")
    generate(inbox, seed=seed, scale=scale, as_of=as_of)
    reset_embedded(settings)
    print("Running the night: ingest, dbt build, checks, alerts ...")
    report = run_night(settings, inbox, as_of)
    print(report.summary)
    outbox = settings.outbox
    if outbox.is_dir():
        files = sorted(outbox.rglob("*.eml"))
        print(f"\n{len(files)} digest(s) in {outbox}")
    if report.ok:
        from reports.bulletin import issue_bulletin, last_complete_month

        month = last_complete_month(as_of)
        issued = issue_bulletin(settings, month, as_of)
        print(f"\nMonthly bulletin {month:%Y-%m}: {issued.html_path}")
        print(f"  PDF: {issued.pdf_path}")
    print(f"\nThe warehouse stays up for BI tools and psql: {database_url(settings)}")
    print("Stop it with `make db-stop` (or `projledger db stop`).")
    return 0 if report.ok else 1
