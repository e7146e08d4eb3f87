"""The feed generator: deterministic, every feed present, realistic mix, valid identifiers."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from ingest.feeds.contracts import FEED_NAMES, FEEDS, LEAD_ID_PATTERN
from ingest.headers import map_header
from ingest.identifiers import credit_code_ok, project_code_ok
from ingest.readers import csv_layout, csv_rows, jsonl_rows, xlsx_rows
from projledger import reference
from projledger.generate import generate

AS_OF = date(2026, 11, 24)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "inbox"
    return out, generate(out, seed=7, scale=0.2, as_of=AS_OF, months=6)


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if path.suffix == ".csv":
        layout = csv_layout(path)
        return layout.header, list(csv_rows(path, layout))
    header, body = xlsx_rows(path) if path.suffix == ".xlsx" else jsonl_rows(path)
    return header, list(body)


def test_same_seed_same_bytes(small, tmp_path):
    out, _ = small
    again = tmp_path / "again"
    generate(again, seed=7, scale=0.2, as_of=AS_OF, months=6)
    assert _digest(out) == _digest(again)


def test_every_feed_delivered_with_well_formed_names(small):
    out, manifest = small
    for feed in FEED_NAMES:
        files = list((out / feed).iterdir())
        assert files, feed
        assert manifest["summary"]["files"][feed] == len(files)
        for f in files:
            assert f.stem[:8].isdigit() and f.suffix in (".csv", ".xlsx", ".jsonl")
            assert date(int(f.stem[:4]), int(f.stem[4:6]), int(f.stem[6:8])) <= AS_OF
    assert (out / "_expected.json").is_file()


def test_formats_and_encodings_are_mixed(small):
    out, manifest = small
    styles = [s for per_feed in manifest["styles"].values() for s in per_feed]
    assert {s["format"] for s in styles} == {"csv", "xlsx", "jsonl"}
    assert {s["encoding"] for s in styles if s["format"] == "csv"} == {
        "utf-8",
        "utf-8-sig",
        "gb18030",
    }
    assert {s["headers"] for s in styles} == {"zh", "en"}
    assert len({s["date_format"] for s in styles}) >= 5
    assert any(s["shuffled"] for s in styles) and any(s["thousands"] for s in styles)
    assert any(s["extra_columns"] for s in styles)
    raw = b"".join(p.read_bytes()[:3] for p in out.rglob("*.csv"))
    assert raw.count(b"\xef\xbb\xbf") >= 1  # a BOM somewhere
    zh = {c.zh for c in FEEDS["stats_gdp"].columns}
    header, _ = _rows(next((out / "stats_gdp").iterdir()))
    assert not zh & set(header)  # English canonical headers


def test_identifiers_valid_except_injected_bad_rows(small):
    out, manifest = small
    bad = {(q["file"], q["line_no"]) for q in manifest["quarantine"]}
    rejected = {r["file"] for r in manifest["rejected_files"]}
    exceptions = frozenset(reference.credit_code_exceptions())
    checked = 0
    for feed in FEED_NAMES:
        contract = FEEDS[feed]
        names = {}
        for col in contract.columns:
            names[col.name] = col.name
            names[col.zh] = col.name
        for path in sorted((out / feed).iterdir()):
            name = f"{feed}/{path.name}"
            if name in rejected:
                continue
            header, rows = _rows(path)
            cols = {names[h]: i for i, h in enumerate(header) if h in names}
            for line_no, values in rows:
                if (name, line_no) in bad:
                    continue
                cc = values[cols["credit_code"]] if "credit_code" in cols else ""
                pc = values[cols["project_code"]] if "project_code" in cols else ""
                assert not cc or credit_code_ok(cc, exceptions), (name, line_no, cc)
                assert not pc or project_code_ok(pc), (name, line_no, pc)
                checked += 1
    assert checked > 1000


def test_expected_describes_every_problem(small):
    _, manifest = small
    rules = {g["rule_id"] for g in manifest["gaps"]}
    assert rules == {
        "unregistered_project",
        "missing_fai_report",
        "missing_tax_record",
        "missing_land_record",
        "stale_milestones",
        "missing_feed",
        "unknown_project",
        "unregistered_signed_lead",
        "unknown_carrier",
    }
    assert {w["rule_id"] for w in manifest["warnings"]} == {
        "node_overdue",
        "start_overdue",
        "production_overdue",
        "investment_lag",
        "plan_exceeds_quota",
        "tax_commitment_shortfall",
        "idle_land",
        "lead_stalled",
        "approval_overdue",
    }
    assert {q["reason"] for q in manifest["quarantine"]} == {
        "invalid_credit_code",
        "invalid_project_code",
        "invalid_date",
        "invalid_number",
        "missing_required",
        "unknown_street",
        "unknown_code_value",
    }
    assert all(q["file"] and q["line_no"] for q in manifest["quarantine"])
    assert manifest["must_load"] and manifest["rejected_files"] and manifest["duplicate_files"]
    assert manifest["relocated_not_new"]
    assert all(manifest["events"][k] for k in manifest["events"])
    clean = set(manifest["summary"]["clean_projects"])
    assert len(clean) > len(manifest["summary"]["registry_projects"]) / 2
    assert not clean & {g["project_code"] for g in manifest["gaps"]}


def test_quarantined_lines_point_at_the_bad_rows(small):
    out, manifest = small
    for q in manifest["quarantine"]:
        _, rows = _rows(out / q["file"])
        assert q["line_no"] in {n for n, _ in rows}, q


def test_duplicate_file_has_same_bytes(small):
    out, manifest = small
    for d in manifest["duplicate_files"]:
        assert (out / d["file"]).read_bytes() == (out / d["duplicate_of"]).read_bytes()


def test_scale_multiplies_rows(tmp_path):
    small = generate(tmp_path / "a", seed=3, scale=0.2, as_of=AS_OF, months=2)
    large = generate(tmp_path / "b", seed=3, scale=1.0, as_of=AS_OF, months=2)
    ratio = large["summary"]["rows"]["tax"] / small["summary"]["rows"]["tax"]
    assert 4 < ratio < 6
    assert large["counts"]["registry_projects"] > 2.5 * small["counts"]["registry_projects"]
    written = json.loads((tmp_path / "b" / "_expected.json").read_text(encoding="utf-8"))
    assert written["generator"]["scale"] == 1.0


def _parsed(out: Path, manifest: dict, feed: str, path: Path) -> list[dict]:
    """The rows of a delivery as canonical dicts, quarantined lines left out."""
    bad = {q["line_no"] for q in manifest["quarantine"] if q["file"] == f"{feed}/{path.name}"}
    header, rows = _rows(path)
    cols = map_header(FEEDS[feed], header)
    return [
        {name: values[i] for name, i in cols.items()}
        for line_no, values in rows
        if line_no not in bad
    ]


def _number(text: str) -> float:
    return float(text.replace(",", "")) if text else 0.0


def test_promotion_loop_feeds_are_delivered_with_their_problems(small):
    out, manifest = small
    for feed in ("leads", "carriers", "hitech"):
        assert manifest["summary"]["rows"][feed] > 0, feed
    assert {q["feed"] for q in manifest["quarantine"]} >= {"leads", "carriers", "hitech"}
    assert manifest["events"]["left_leads"]
    gaps = [g for g in manifest["gaps"] if g["rule_id"] == "unregistered_signed_lead"]
    assert gaps and all(g["lead_id"] for g in gaps)
    carriers = [g for g in manifest["gaps"] if g["rule_id"] == "unknown_carrier"]
    assert carriers and all(g["carrier"] for g in carriers)
    grades = defaultdict(set)
    for w in manifest["warnings"]:
        grades[w["rule_id"]].add(w["grade"])
    assert grades["lead_stalled"] == grades["approval_overdue"] == {"yellow", "red"}


def test_every_lead_snapshot_parses_with_well_formed_ids(small):
    out, manifest = small
    files = sorted((out / "leads").iterdir())
    assert len(files) >= 20  # weekly over six months
    pattern = re.compile(LEAD_ID_PATTERN)
    streets = set(reference.values("streets.street_code"))
    units = streets | set(reference.values("departments.dept_code"))
    for path in files:
        for row in _parsed(out, manifest, "leads", path):
            assert pattern.match(row["lead_id"]), row
            assert row["sourcing_unit"] in units and row["street_code"] in streets
            assert row["stage"] in ("在谈", "签约", "落地", "终止")
            assert row["signed_on"] or row["stage"] in ("在谈", "终止"), row
            assert _number(row["intended_investment"]) > 0


def test_every_carriers_delivery_reproduces_the_seed_figures(small):
    out, manifest = small
    files = sorted((out / "carriers").iterdir())
    assert files
    for path in files:
        by_status = defaultdict(lambda: [0, 0.0, 0.0])
        for row in _parsed(out, manifest, "carriers", path):
            totals = by_status[row["build_status"]]
            totals[0] += 1
            totals[1] += _number(row["total_area_m2"])
            totals[2] += _number(row.get("usable_area_m2", ""))
        assert by_status["建成"] == [49, 1_750_000, 780_000], path.name
        assert by_status["在建"][:2] == [18, 990_000], path.name
        assert by_status["待建"][:2] == [13, 800_000], path.name
        available = by_status["建成"][2] + by_status["在建"][1] + by_status["待建"][1]
        assert available == 2_570_000


def test_registry_names_carriers_by_alias_and_in_full_width(small):
    out, manifest = small
    latest = sorted((out / "carriers").iterdir())[-1]
    known = set()
    for row in _parsed(out, manifest, "carriers", latest):
        names = [row["carrier_name"], *re.split("[;；]", row.get("aliases", ""))]
        known |= {unicodedata.normalize("NFKC", n).strip() for n in names if n.strip()}
    registry = sorted((out / "registry").iterdir())[-1]
    used = {r["carrier"] for r in _parsed(out, manifest, "registry", registry) if r["carrier"]}
    unknown = {g["carrier"] for g in manifest["gaps"] if g["rule_id"] == "unknown_carrier"}
    assert {n for n in used if unicodedata.normalize("NFKC", n).strip() not in known} <= unknown
    assert any(n != unicodedata.normalize("NFKC", n) for n in used)  # full-width forms
    assert "紫琅科技园" in used  # an alias of 紫琅科技城


def test_hitech_certificates_of_library_enterprises(small):
    out, manifest = small
    registry = sorted((out / "registry").iterdir())[-1]
    library = {r["credit_code"] for r in _parsed(out, manifest, "registry", registry)}
    holders = {
        r["credit_code"]
        for path in sorted((out / "hitech").iterdir())
        for r in _parsed(out, manifest, "hitech", path)
    }
    assert holders & library and holders - library
