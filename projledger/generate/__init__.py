"""A realistic drop folder of every feed, with known problems injected and described in
`<out>/_expected.json`, deterministic by seed.

    generate(Path("inbox"), seed=1, scale=1.0, as_of=date(2026, 11, 24))

Scale 1 is about 200 library projects and 10,000 taxpayers (30,000 tax rows a month);
files are written row by row, so the size of a feed never has to fit in memory.
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.feeds.contracts import FEED_NAMES
from projledger.generate.calendar import Calendar
from projledger.generate.expected import Expected
from projledger.generate.feeds import Deliverer
from projledger.generate.problems import Injector
from projledger.generate.promotion import build_carriers, certificates, clean_leads, name_carriers
from projledger.generate.refdata import load_refs
from projledger.generate.world import World, make_enterprises

__all__ = ["generate"]

STATE_MIX = (("pre_start", 0.3), ("construction", 0.35), ("completed", 0.05), ("production", 0.3))

ASSUMPTIONS = [
    "Days are calendar days. 'More than N days before as_of' means as_of - date > N.",
    "A report for month M is due on day 10 (stats) / day 20 (tax) of M+1; due means due date "
    "<= as_of.",
    "TTM tax window: the 12 months ending with the last month whose tax is due as of as_of. "
    "Shortfall projects pay a constant monthly tax, so TTM tax per mu = ratio x commitment "
    "whatever the exact window.",
    "investment_lag: shortfall projects report cumulative = ratio x planned_investment x "
    "(end of month - planned_start) / (planned_completion - planned_start); the ratio stays "
    "within its grade if the plan is read at the start instead of the end of the month.",
    "node_overdue delay_days: as_of - planned_date for an open node; actual_date - "
    "planned_date for a node met late (warned while as_of - actual_date <= 30).",
    "start_overdue / production_overdue delay_days: as_of - planned date.",
    "idle_land delay_days: as_of - (agreed_start + 1 calendar year); days_since_agreed_start is "
    "in detail.",
    "plan_exceeds_quota delay_days: days beyond the quota.",
    "A quota is compared with the gap to the previous planned node of the project's own plan; a "
    "service project has no 征地 node (its quota is blank).",
    "Clean projects meet every node on or before its planned date and are reported every "
    "Monday (reported_on = the delivery date); every node planned on or before as_of is met "
    "and reported by the last Monday on or before as_of.",
    "Registry, milestones: Mondays; land: Thursdays; approvals: every working day of the last "
    "six weeks, Mondays before; stats_fai / stats_enterprise: a day 2-9 of M+1; tax: a day "
    "11-19 of M+1; stats_gdp: a day 14-20 of the month after the quarter, a quarter only once "
    "due. The first delivery of each feed carries the history before the window (backfill).",
    "missing_feed: the latest due stats_gdp quarter is withheld.",
    "unknown_project: a project that left the library stays known through its approvals.",
    "Quarantine line numbers: CSV header = line 1; XLSX sheet row; JSONL 1-based line.",
    "leads: a full snapshot every Friday; a lead's stage on a date follows its dates (在谈 from "
    "first contact, 签约 from signed_on, 落地 from its project's registration, 终止 when "
    "dropped); signed_on and project_code appear once reached.",
    "carriers: the full list on day 12 of the month after each quarter; every delivery has the "
    "seed's district totals (49 built 1,750,000 m2 of which 780,000 usable; 18 under "
    "construction 990,000 m2; 13 planned 800,000 m2); occupancy changes by quarter.",
    "hitech: delivered every other month on no fixed day, certificates issued 2-20 days "
    "before the delivery that carries them.",
    "unregistered_signed_lead / unknown_carrier gaps are keyed by lead_id / carrier (name), "
    "given in those keys; lead_stalled warnings by lead_id.",
    "approval_overdue: working days per chinese_calendar (Monday-Friday for a year it does not "
    "know); a clean pending item stays at most limit - 1 working days old.",
]


def _yesterday_shanghai() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)


def generate(
    out: Path, seed: int = 1, scale: float = 1.0, as_of: date | None = None, months: int = 14
) -> dict:
    """Write every feed's deliveries under `out` and `out/_expected.json`; return the summary."""
    out = Path(out)
    as_of = as_of or _yesterday_shanghai()
    for feed in FEED_NAMES:  # a rerun replaces the feeds, never anything else in `out`
        shutil.rmtree(out / feed, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)

    refs = load_refs()
    cal = Calendar(as_of, months)
    rng = random.Random(seed)
    world = World(refs, cal, rng, salt=rng.randrange(10**6))
    n_ent = max(200, round(10000 * scale))
    world.enterprises = make_enterprises(
        random.Random(f"{seed}|enterprises"), n_ent, refs, world.salt
    )
    exp = Expected()
    injector = Injector(world, exp, scale)
    injected = 24 * injector.n + 9  # projects the injector adds
    total = round(200 * scale)
    n_clean = max(total - injected, injected + 2)
    states, weights = zip(*STATE_MIX, strict=True)
    for state in rng.choices(states, weights=weights, k=n_clean):
        world.add(world.new_project(state))
    for _ in range(max(2, round(30 * scale))):  # commercial and warehouse land, no project
        start = as_of + timedelta(days=rng.randint(-300, 300))
        world.parcels.append(
            world.standalone_parcel(
                rng.choice(("商服", "仓储")), start, start < cal.last_monday - timedelta(days=30)
            )
        )
    extras = injector.run()
    world.finalize()
    promo = random.Random(f"{seed}|promotion")
    build_carriers(world, promo)
    name_carriers(world)
    clean_leads(world, promo, scale)
    certificates(world, promo)

    deliverer = Deliverer(out, world, extras, exp, seed, scale)
    deliverer.run()

    registry = [p for p in world.projects if p.registered_at(cal.last_monday)]
    flagged = {g["project_code"] for g in exp.gaps} | {w["project_code"] for w in exp.warnings}
    flagged |= set(exp.relocated_not_new)
    counts = {
        "registry_projects": len(registry),
        "projects_total": len(world.projects),
        "enterprises": n_ent + len(world.projects),
        "parcels": len(world.parcels),
        "files": sum(deliverer.files.values()),
        "rows": sum(deliverer.rows.values()),
    }
    manifest = {
        "generator": {
            "seed": seed,
            "scale": scale,
            "as_of": as_of.isoformat(),
            "months": months,
            "window_start": cal.start.isoformat(),
            "last_weekly_delivery": cal.last_monday.isoformat(),
        },
        "assumptions": ASSUMPTIONS,
        "counts": counts,
        "summary": {
            "files": dict(deliverer.files),
            "rows": dict(deliverer.rows),
            "registry_projects": sorted(p.code for p in registry),
            "clean_projects": sorted(p.code for p in registry if p.code not in flagged),
        },
        "gaps": exp.gaps,
        "warnings": exp.warnings,
        "relocated_not_new": exp.relocated_not_new,
        "not_relocated": exp.not_relocated,
        "negatives": exp.negatives,
        "quarantine": exp.quarantine,
        "must_load": exp.must_load,
        "rejected_files": exp.rejected_files,
        "duplicate_files": exp.duplicate_files,
        "events": exp.events,
        "styles": dict(deliverer.styles),
    }
    with open(out / "_expected.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=False)
        fh.write("\n")
    return manifest
