"""A whole night on a generated district: every injected problem is found exactly, clean
projects raise nothing, and re-running or replaying nights changes nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from projledger.db import connect
from projledger.generate import generate
from projledger.night import build_warehouse, run_night
from projledger.settings import load_settings
from tests.conftest import DEMO_AS_OF

SCALE = 0.2
SUBJECT = ("project_code", "credit_code", "parcel_no", "period", "feed")


@pytest.fixture(scope="module")
def night(module_db, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    inbox = tmp_path_factory.mktemp("inbox")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", module_db)
        mp.setenv("PROJLEDGER_HOME", str(home))
        settings = load_settings()
        expected = generate(inbox, seed=1, scale=SCALE, as_of=DEMO_AS_OF)
        if not expected:
            expected = json.loads((inbox / "_expected.json").read_text())
        report = run_night(settings, inbox, DEMO_AS_OF)
        yield settings, inbox, expected, report


def rows(settings, query: str, *params) -> list[dict]:
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(query, params)
        names = [d.name for d in cur.description]
        out = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    conn.close()
    return out


def _norm(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _matches(want: dict, got: dict, fields) -> bool:
    return all(want.get(f) is None or _norm(got.get(f)) == want[f] for f in fields)


def test_the_night_runs_every_step(night):
    _, _, _, report = night
    assert report.ok, report.problems
    assert set(report.timings) == {"ingest", "dbt build", "checks", "alerts"}
    assert "Coverage gaps" in report.summary and "Quarantined rows by reason" in report.summary


def _compare(wanted: list[dict], found: list[dict], keys) -> tuple[list, list]:
    """(wanted but not found, found but not wanted), matching rule and the given keys."""

    def same(w: dict, g: dict) -> bool:
        return g["rule_id"] == w["rule_id"] and _matches(w, g, keys)

    missing = [w for w in wanted if not any(same(w, g) for g in found)]
    extra = [
        {k: _norm(g[k]) for k in ("rule_id", *keys)}
        for g in found
        if not any(same(w, g) for w in wanted)
    ]
    return missing, extra


def test_every_injected_gap_is_found_and_no_other(night):
    settings, _, expected, _ = night
    found = rows(settings, "select * from marts.fct_coverage_gap where status = 'open'")
    missing, extra = _compare(expected["gaps"], found, SUBJECT)
    assert not missing, f"injected gaps not found: {missing}"
    assert not extra, f"gaps on clean subjects: {extra}"


def test_every_injected_warning_is_graded_and_clean_projects_have_none(night):
    settings, _, expected, _ = night
    found = rows(settings, "select * from marts.fct_project_warning")
    missing, extra = _compare(expected["warnings"], found, ("project_code", "parcel_no", "grade"))
    assert not missing, f"injected warnings not found: {missing}"
    assert not extra, f"warnings on clean projects: {extra}"


def test_negative_cases_raise_nothing(night):
    settings, _, expected, _ = night
    gaps = rows(settings, "select * from marts.fct_coverage_gap where status = 'open'")
    warnings = rows(settings, "select * from marts.fct_project_warning")
    for case in expected["negatives"]:
        hits = [
            g
            for g in gaps + warnings
            if g["rule_id"] == case["rule_id"]
            and _matches(case, g, ("project_code", "credit_code", "parcel_no"))
        ]
        assert not hits, f"{case['case']}: {case['note']}"


def test_quarantine_and_file_ledger_match_what_was_injected(night):
    settings, _, expected, _ = night
    rejected = rows(settings, "select feed, file_name, line_no, reason from marts.fct_rejected_row")
    got = {
        (r["file_name"], r["line_no"], r["reason"])
        for r in rejected
        if r["reason"] != "rejected_file"
    }
    want = {(q["file"], q["line_no"], q["reason"]) for q in expected["quarantine"]}
    assert got == want
    files = {r["file_name"] for r in rejected if r["reason"] == "rejected_file"}
    assert files == {f["file"] for f in expected["rejected_files"]}
    batches = rows(settings, "select file_name, status from marts.fct_batch")
    assert {b["file_name"] for b in batches if b["status"] == "duplicate"} == {
        f["file"] for f in expected["duplicate_files"]
    }
    for must in expected["must_load"]:
        assert (must["file"], must["line_no"]) not in {
            (r["file_name"], r["line_no"]) for r in rejected
        }


def test_relocated_enterprises_are_flagged(night):
    settings, _, expected, _ = night
    flagged = {
        r["project_code"]
        for r in rows(
            settings, "select project_code from marts.kpi_project where relocated_not_new"
        )
    }
    assert set(expected["relocated_not_new"]) <= flagged
    assert not flagged & set(expected["not_relocated"])


def _fingerprint(settings) -> dict[str, str]:
    """The marts as of the run. Of the gap lifecycle only what is open counts: when a night
    is run for the first time after later ones, the gaps' history rightly gains that night."""
    out = {}
    queries = {
        "open gaps": "select rule_id, project_code, credit_code, parcel_no, period, feed "
        "from marts.fct_coverage_gap where status = 'open'",
        **{
            t: f"select * from marts.{t}"
            for t in (
                "fct_project_warning",
                "kpi_project",
                "kpi_district",
                "dim_project",
                "fct_milestone",
                "fct_project_month",
                "fct_land_parcel",
            )
        },
    }
    for table, query in queries.items():
        data = rows(settings, query)
        canon = sorted(json.dumps(r, default=str, sort_keys=True) for r in data)
        out[table] = hashlib.sha256("\n".join(canon).encode()).hexdigest()
    return out


def test_rerun_is_a_no_op_and_an_earlier_night_replays_the_same(night):
    settings, inbox, _, _ = night
    gaps = rows(settings, "select * from marts.fct_coverage_gap order by gap_id")
    first = _fingerprint(settings)
    again = run_night(settings, inbox, DEMO_AS_OF)
    assert again.ok, again.problems
    assert _fingerprint(settings) == first
    assert rows(settings, "select * from marts.fct_coverage_gap order by gap_id") == gaps

    earlier = DEMO_AS_OF - timedelta(days=7)
    build_warehouse(settings, earlier)
    week_before = _fingerprint(settings)
    assert week_before != first  # the world a week ago was different
    build_warehouse(settings, DEMO_AS_OF)
    assert _fingerprint(settings) == first
    build_warehouse(settings, earlier)
    assert _fingerprint(settings) == week_before
    build_warehouse(settings, DEMO_AS_OF)


def test_generated_corrections_retractions_and_leavers_are_changes(night):
    """Every delivered row is stored; what changed when is derived (ledger.changes)."""
    settings, _, expected, _ = night
    events = expected["events"]

    def history(feed: str, key: str) -> list[dict]:
        return rows(
            settings,
            "select op, data, delivered_on from ledger.changes(%s, date '2999-12-31') "
            "where natural_key = %s order by delivery_rank",
            feed,
            key,
        )

    for fix in events["corrections"]:
        versions = [
            e["data"][fix["field"]] for e in history(fix["feed"], fix["key"]) if e["op"] == "upsert"
        ]
        assert fix["new"] in versions and versions.index(fix["new"]) > 0, fix
    for void in events["retractions"]:
        ops = history(void["feed"], void["key"])
        assert ops[-1]["op"] == "retract", void
        # voided on a weekend day, delivered with the next working day's file
        assert 0 <= (ops[-1]["delivered_on"] - date.fromisoformat(void["voided"])).days <= 3
    for left in events["left_registry"]:
        leaves = [e for e in history("registry", left["key"]) if e["op"] == "leave"]
        assert [e["delivered_on"].isoformat() for e in leaves] == [left["left_on"]]
    for same in events["resent_unchanged"]:
        assert len(history(same["feed"], same["key"])) == 1, same
    # Weekly registry snapshots re-send every project: only real changes are changes.
    [counts] = rows(
        settings,
        "select count(distinct natural_key) as projects, count(*) as upserts "
        "from ledger.changes('registry', date '2999-12-31') where op = 'upsert'",
    )
    assert counts["upserts"] < counts["projects"] * 1.5, counts


def _as_role(settings, role: str):
    import psycopg2

    from projledger.db import url_parts

    parts = url_parts(settings.database_url)
    return psycopg2.connect(
        host=parts["host"], port=parts["port"], dbname=parts["dbname"], user=role
    )


def test_bi_role_sees_marts_and_nothing_else(night):
    import psycopg2

    settings = night[0]
    conn = _as_role(settings, "projledger_bi")
    with conn.cursor() as cur:
        cur.execute("select count(*) from marts.fct_coverage_gap")
        assert cur.fetchone()[0] > 0
        cur.execute("select count(distinct street_code) from marts.dim_project")
        assert cur.fetchone()[0] > 1
    for hidden in ("ledger.event", "staging.stg_tax__payments", "ref.streets", "alerts.alert"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
            cur.execute(f"select 1 from {hidden} limit 1")
        conn.rollback()
    conn.close()


def test_a_street_role_sees_only_its_own_streets_rows(night):
    settings = night[0]
    [busiest] = rows(
        settings,
        "select street_code from marts.dim_project where is_current "
        "group by 1 order by count(*) desc limit 1",
    )
    street = busiest["street_code"]
    conn = _as_role(settings, f"street_{street}")
    with conn.cursor() as cur:
        for table in ("dim_project", "fct_coverage_gap", "fct_land_parcel"):
            cur.execute(
                f"select count(*), count(*) filter (where street_code = %s) from marts.{table}",
                (street,),
            )
            total, own = cur.fetchone()
            assert total == own, table
        cur.execute("select count(*) from marts.dim_project")
        assert (
            cur.fetchone()[0]
            == len(rows(settings, "select 1 from marts.dim_project where street_code = %s", street))
            > 0
        )
    conn.close()


def test_dbt_docs_generate_describes_every_published_column(night):
    from projledger.dbt_runner import run_dbt

    settings = night[0]
    result = run_dbt(settings, ["docs", "generate"], DEMO_AS_OF)
    assert result.success, result.error
    catalog = json.loads((settings.dbt_project_dir / "target" / "catalog.json").read_text())
    fct = catalog["nodes"]["model.projledger.fct_coverage_gap"]
    assert fct["metadata"]["comment"], "table comment missing"
    undocumented = [c for c, v in fct["columns"].items() if not v.get("comment")]
    assert not undocumented
    comments = rows(
        settings,
        """
        select c.relname, a.attname from pg_attribute as a
        join pg_class as c on c.oid = a.attrelid
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
          and col_description(c.oid, a.attnum) is null""",
    )
    assert not comments, f"marts columns without a comment: {comments}"
