"""The generated district (the one the e2e night runs: seed 1, scale 0.2) through the real
ingest: every injected bad row is quarantined where _expected.json says and no other, and the
promotion-loop rules, read straight from rules.md over the event store's state as of the
run, find exactly the injected problems — so a warehouse that implements them must too."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import date

import psycopg2
import pytest

from ingest.feeds.contracts import FEEDS
from ingest.load import ingest_inbox
from projledger import reference
from projledger.db.migrate import migrate
from projledger.generate import generate
from projledger.generate.calendar import add_months, tax_due
from projledger.generate.workdays import working_days
from tests.conftest import DEMO_AS_OF

AS_OF = DEMO_AS_OF


@pytest.fixture(scope="module")
def district(module_db, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    manifest = generate(inbox, seed=1, scale=0.2, as_of=AS_OF)
    conn = psycopg2.connect(module_db)
    migrate(conn)
    ingest_inbox(conn, inbox, until=AS_OF)
    yield conn, manifest
    conn.close()


def state(conn, feed: str) -> list[dict]:
    """The live rows of a feed as of AS_OF, as the store derives them (a snapshot feed: the
    latest snapshot; a retraction ends a key)."""
    with conn.cursor() as cur:
        cur.execute(
            "select op, ledger.fact_values(fact) from ledger.current_events(%s, %s)",
            (feed, AS_OF),
        )
        columns = [c.name for c in FEEDS[feed].columns]  # a blank value is a null, not absent
        return [{c: data.get(c) for c in columns} for op, data in cur.fetchall() if op == "upsert"]


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def test_quarantine_is_exactly_the_injected_bad_rows(district):
    conn, manifest = district
    with conn.cursor() as cur:
        cur.execute(
            "select b.file_name, r.line_no, r.reason "
            "from ledger.rejected_row as r join ledger.batch as b using (batch_id)"
        )
        found = set(cur.fetchall())
    want = {(q["file"], q["line_no"], q["reason"]) for q in manifest["quarantine"]}
    assert found == want
    assert {f.split("/")[0] for f, _, _ in found} >= {"leads", "carriers", "hitech"}


def test_leads_snapshot_leave_is_derived(district):
    conn, manifest = district
    [left] = manifest["events"]["left_leads"]
    with conn.cursor() as cur:
        cur.execute(
            "select delivered_on from ledger.snapshot_history('leads', %s) "
            "where natural_key = %s and op = 'leave'",
            (AS_OF, left["key"]),
        )
        assert cur.fetchall() == [(date.fromisoformat(left["left_on"]),)]


def test_lead_stalled_finds_exactly_the_injected_leads(district):
    conn, manifest = district
    found = set()
    for lead in state(conn, "leads"):
        days = (AS_OF - _d(lead["first_contact_on"])).days
        if lead["stage"] == "在谈" and days > 180:
            found.add((lead["lead_id"], "yellow" if days <= 365 else "red", days - 180))
    want = {
        (w["lead_id"], w["grade"], w["delay_days"])
        for w in manifest["warnings"]
        if w["rule_id"] == "lead_stalled"
    }
    assert found == want and len(want) == 2


def test_unregistered_signed_lead_finds_exactly_the_injected_leads(district):
    conn, manifest = district
    registry = state(conn, "registry")
    codes = {p["project_code"] for p in registry}
    credits = {p["credit_code"] for p in registry if p["credit_code"]}
    found = set()
    for lead in state(conn, "leads"):
        if lead["stage"] not in ("签约", "落地") or float(lead["intended_investment"]) < 10000:
            continue
        if (AS_OF - _d(lead["signed_on"])).days <= 90:
            continue
        if lead["project_code"]:
            matched = lead["project_code"] in codes
        else:
            matched = bool(lead["credit_code"]) and lead["credit_code"] in credits
        if not matched:
            found.add(lead["lead_id"])
    want = {g["lead_id"] for g in manifest["gaps"] if g["rule_id"] == "unregistered_signed_lead"}
    assert found == want and len(want) == 2


def test_approval_overdue_finds_exactly_the_injected_projects(district):
    conn, manifest = district
    limits = {r["item"]: int(r["limit_working_days"]) for r in reference.table("approval_items")}
    worst: dict[str, tuple[int, str]] = {}
    for a in state(conn, "approvals"):
        if a["decided_on"] or not a["accepted_on"]:
            continue
        limit = limits[a["item"]]
        days = working_days(_d(a["accepted_on"]), AS_OF)
        if days > limit:
            grade = "red" if days > 2 * limit else "yellow"
            worst[a["project_code"]] = max(
                worst.get(a["project_code"], (0, "")), (days - limit, grade)
            )
    found = {(code, grade, over) for code, (over, grade) in worst.items()}
    want = {
        (w["project_code"], w["grade"], w["delay_days"])
        for w in manifest["warnings"]
        if w["rule_id"] == "approval_overdue"
    }
    assert found == want and len(want) == 2


def test_unknown_carrier_finds_exactly_the_injected_names(district):
    conn, manifest = district
    carriers = state(conn, "carriers")
    latest = max(c["period"] for c in carriers)
    known = set()
    for c in carriers:
        if c["period"] == latest:
            aliases = (c["aliases"] or "").replace("；", ";").split(";")
            known |= {_fold(n) for n in [c["carrier_name"], *aliases] if n.strip()}
    last = AS_OF.replace(day=1)
    while tax_due(last) > AS_OF:
        last = add_months(last, -1)
    ttm = {add_months(last, -k).isoformat() for k in range(12)}
    used = defaultdict(set)
    for p in state(conn, "registry"):
        if p["carrier"]:
            used[_fold(p["carrier"])].add("registry")
    for t in state(conn, "tax"):
        if t["carrier"] and t["period"] in ttm:
            used[_fold(t["carrier"])].add("tax")
    found = {name for name in used if name not in known}
    want = {g["carrier"] for g in manifest["gaps"] if g["rule_id"] == "unknown_carrier"}
    assert found == want and len(want) == 2
    # The registry names carriers through aliases and full-width forms, all known.
    raw = {p["carrier"] for p in state(conn, "registry") if p["carrier"]}
    assert any(n != _fold(n) for n in raw)
