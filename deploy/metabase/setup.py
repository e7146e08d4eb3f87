"""Connect Metabase to the warehouse with the read-only role (run once by `metabase-init`).

Standard library only, so it runs in a bare python image. Idempotent: on a fresh Metabase it
completes the setup wizard (admin user + the warehouse database); afterwards it logs in and
adds the database only if it is missing.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

URL = os.environ.get("MB_URL", "http://metabase:3000").rstrip("/")
DB_NAME = "Project Ledger 重大项目库"


def call(method: str, path: str, body: dict | None = None, session: str | None = None):
    req = urllib.request.Request(
        URL + path, method=method, data=json.dumps(body).encode() if body is not None else None
    )
    req.add_header("Content-Type", "application/json")
    if session:
        req.add_header("X-Metabase-Session", session)
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def wait_healthy(timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if call("GET", "/api/health").get("status") == "ok":
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(5)
    sys.exit("Metabase did not become healthy")


def warehouse() -> dict:
    return {
        "engine": "postgres",
        "name": DB_NAME,
        "details": {
            "host": os.environ.get("PROJLEDGER_PG_HOST", "postgres"),
            "port": int(os.environ.get("PROJLEDGER_PG_PORT", "5432")),
            "dbname": os.environ.get("PROJLEDGER_PG_DBNAME", "projledger"),
            "user": "projledger_bi",
            "password": os.environ["PROJLEDGER_BI_PASSWORD"],
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": "marts",
            "ssl": False,
        },
        "is_full_sync": True,
    }


def main() -> None:
    wait_healthy()
    email, password = os.environ["MB_ADMIN_EMAIL"], os.environ["MB_ADMIN_PASSWORD"]
    props = call("GET", "/api/session/properties")
    if not props.get("has-user-setup"):
        call(
            "POST",
            "/api/setup",
            {
                "token": props["setup-token"],
                "user": {
                    "email": email,
                    "password": password,
                    "first_name": "Data",
                    "last_name": "Team",
                    "site_name": "Project Ledger",
                },
                "prefs": {
                    "site_name": "Project Ledger",
                    "site_locale": "zh",
                    "allow_tracking": False,
                },
                "database": warehouse(),
            },
        )
        print("Metabase set up with the warehouse (read-only role)")
        return
    session = call("POST", "/api/session", {"username": email, "password": password})["id"]
    existing = call("GET", "/api/database", session=session)
    rows = existing.get("data", existing) if isinstance(existing, dict) else existing
    if any(db.get("name") == DB_NAME for db in rows):
        print("Metabase already has the warehouse")
        return
    call("POST", "/api/database", warehouse(), session=session)
    print("warehouse added to Metabase (read-only role)")


if __name__ == "__main__":
    main()
