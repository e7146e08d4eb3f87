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
from tests.conftest import DEMO_AS_OF, dbt_target

SCALE = 0.2
UNSAFE_FILE = "land/20261120.csv"
SUBJECT = ("project_code", "credit_code", "parcel_no", "period", "feed", "lead_id", "carrier")
# The promotion loop's gaps name their subject in subject_key: a lead or a carrier name.
NEGATIVE_SUBJECT = ("project_code", "credit_code", "parcel_no", "lead_id", "carrier")
SUBJECT_KEY_AS = {"unregistered_signed_lead": "lead_id", "unknown_carrier": "carrier"}


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
        # A link in a feed folder to a file the service can read: never a delivery.
        outside = tmp_path_factory.mktemp("outside") / "secret.csv"
        outside.write_text("纳税人识别号,纳税人名称\n91320602MA00000011,不应入库\n")
        (inbox / UNSAFE_FILE).symlink_to(outside)
        expected["rejected_files"].append({"file": UNSAFE_FILE})
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


def open_gaps(settings) -> list[dict]:
    found = rows(settings, "select * from marts.fct_coverage_gap where status = 'open'")
    for gap in found:
        if gap["rule_id"] in SUBJECT_KEY_AS:
            gap[SUBJECT_KEY_AS[gap["rule_id"]]] = gap["subject_key"]
    return found


def test_every_injected_gap_is_found_and_no_other(night):
    settings, _, expected, _ = night
    found = open_gaps(settings)
    missing, extra = _compare(expected["gaps"], found, SUBJECT)
    assert not missing, f"injected gaps not found: {missing}"
    assert not extra, f"gaps on clean subjects: {extra}"


def test_every_injected_warning_is_graded_and_clean_projects_have_none(night):
    settings, _, expected, _ = night
    found = rows(settings, "select * from marts.fct_project_warning")
    keys = ("project_code", "parcel_no", "lead_id", "grade", "delay_days")
    missing, extra = _compare(expected["warnings"], found, keys)
    assert not missing, f"injected warnings not found: {missing}"
    assert not extra, f"warnings on clean projects: {extra}"


def test_negative_cases_raise_nothing(night):
    settings, _, expected, _ = night
    gaps = open_gaps(settings)
    warnings = rows(settings, "select * from marts.fct_project_warning")
    for case in expected["negatives"]:
        hits = [
            g
            for g in gaps + warnings
            if g["rule_id"] == case["rule_id"]
            and _matches(
                case, g, ("project_code", "credit_code", "parcel_no", "lead_id", "carrier")
            )
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
            "select op, ledger.fact_values(fact) as data, delivered_on "
            "from ledger.changes(%s, date '2999-12-31') "
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

    from projledger.db import database_url, url_parts

    parts = url_parts(database_url(settings))
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


# The key of every mart built as a table, as a BI tool reads it from the catalog.
TABLE_KEYS = {
    "dim_department": "dept_code",
    "dim_project": "project_version_id",
    "dim_street": "street_code",
    "fct_batch": "batch_id",
    "fct_coverage_gap": "gap_id",
    "fct_land_parcel": "parcel_no",
    "fct_lead": "lead_id",
    "fct_project_warning": "warning_id",
    "fct_rejected_row": "rejected_key",
    "kpi_carrier_district": "period",
    "kpi_district": "period",
    "kpi_project": "project_code",
}


def test_bi_role_reads_each_table_marts_key_from_the_catalog(night):
    conn = _as_role(night[0], "projledger_bi")
    with conn.cursor() as cur:
        cur.execute(
            "select c.relname, a.attname from pg_constraint as k "
            "join pg_class as c on c.oid = k.conrelid "
            "join pg_attribute as a on a.attrelid = k.conrelid and a.attnum = any(k.conkey) "
            "where k.contype = 'p' and c.relnamespace = 'marts'::regnamespace"
        )
        assert dict(cur.fetchall()) == TABLE_KEYS
    conn.close()


def _street_marks(settings, street: str) -> dict[str, set[str]]:
    """What names a street in the marts: its code, its projects, parcels, digests."""
    one = lambda query: {str(r["v"]) for r in rows(settings, query, street)}  # noqa: E731
    return {
        "street": {street},
        "projects": one(
            "select distinct project_code as v from marts.dim_project where street_code = %s"
        ),
        "parcels": one(
            "select distinct parcel_no as v from marts.fct_land_parcel where street_code = %s"
        ),
        "alerts": one("select alert_id as v from marts.fct_alert where owner_dept = %s"),
    }


def _names_street(row: dict, marks: dict[str, set[str]], mine: dict[str, set[str]]) -> bool:
    for column, value in row.items():
        if value is None:
            continue
        if column in ("street_code", "owner_dept") and str(value) in marks["street"]:
            return True
        if column == "alert_id" and str(value) in marks["alerts"]:
            return True
        text = json.dumps(value, default=str, ensure_ascii=False)
        for kind in ("projects", "parcels"):
            if any(f'"{code}"' in text for code in marks[kind] - mine[kind]):
                return True
    return False


def test_every_marts_relation_shows_a_street_role_only_its_own_street(night):
    """Tables and views alike, whatever their name: connected as two streets' roles in turn,
    no row naming the other street is visible, and each sees all of its own rows."""
    import psycopg2

    settings = night[0]
    busiest = rows(
        settings,
        "select street_code from marts.dim_project where is_current "
        "group by 1 order by count(*) desc limit 2",
    )
    streets = [r["street_code"] for r in busiest]
    relations = rows(
        settings,
        """
        select c.relname as name, c.relkind as kind,
               array_agg(a.attname::text order by a.attnum) as columns
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        group by 1, 2 order by 1""",
    )
    assert {"fct_alert", "fct_alert_item", "fct_rejected_row"} <= {r["name"] for r in relations}
    marks = {street: _street_marks(settings, street) for street in streets}
    for me, other in (streets, streets[::-1]):
        conn = _as_role(settings, f"street_{me}")
        seen_own = {}
        for relation in relations:
            name, columns = relation["name"], relation["columns"]
            filterable = {"street_code", "owner_dept", "project_code"} & set(columns)
            with conn.cursor() as cur:
                try:
                    cur.execute(f"select * from marts.{name}")
                except psycopg2.errors.InsufficientPrivilege:
                    conn.rollback()
                    assert not filterable, f"{name} names streets but is not readable"
                    continue
                names = [d.name for d in cur.description]
                visible = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            leaks = [r for r in visible if _names_street(r, marks[other], marks[me])]
            assert not leaks, f"street_{me} sees {len(leaks)} rows of {other} in {name}"
            for column in ("street_code", "owner_dept"):
                if column in columns:
                    own = rows(
                        settings, f"select count(*) as n from marts.{name} where {column} = %s", me
                    )[0]["n"]
                    assert len(visible) == own, f"{name}: street_{me} misses its own rows"
                    seen_own[name] = own
                    break
        conn.close()
        assert seen_own["dim_project"] > 0 and seen_own["fct_alert"] > 0, seen_own


def test_a_rebuilt_table_is_readable_by_bi_at_once_and_by_no_street_until_filtered(night):
    import psycopg2

    from projledger.dbt_runner import run_dbt
    from projledger.night import grant_access

    settings = night[0]
    street = rows(settings, "select street_code from marts.dim_street limit 1")[0]["street_code"]
    result = run_dbt(settings, ["run", "-s", "fct_land_parcel"], DEMO_AS_OF)
    assert result.success, result.error
    bi = _as_role(settings, "projledger_bi")
    with bi.cursor() as cur:
        cur.execute("select count(*) from marts.fct_land_parcel")
        assert cur.fetchone()[0] > 0
    bi.close()
    conn = _as_role(settings, f"street_{street}")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
        cur.execute("select count(*) from marts.fct_land_parcel")
    conn.rollback()
    grant_access(settings)
    with conn.cursor() as cur:
        cur.execute("select count(distinct street_code) from marts.fct_land_parcel")
        assert cur.fetchone()[0] <= 1
    conn.close()


def test_an_unsafe_delivery_reaches_its_departments_digest(night):
    import email
    from email import policy

    settings = night[0]
    [row] = rows(
        settings,
        "select rejected_key, owner_dept, detail from marts.fct_rejected_row where file_name = %s",
        UNSAFE_FILE,
    )
    assert row["owner_dept"] == "zrzy" and "unsafe_path" in row["detail"]
    assert rows(
        settings,
        "select 1 from marts.fct_alert_item where owner_dept = 'zrzy' and item_id = %s",
        row["rejected_key"],
    )
    texts = []
    for path in settings.outbox.rglob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(("plain",))
        texts.append(body.get_content() if body else "")
    assert any(UNSAFE_FILE in text and "不是收件箱内的普通文件" in text for text in texts)


def test_the_night_leaves_the_unit_tests_to_the_suite_where_they_all_pass(night):
    from projledger.dbt_runner import run_dbt

    settings = night[0]
    # The nightly build selects no unit test: they test the SQL, not the night's data.
    nightly = run_dbt(
        settings, ["build", "--selector", "nightly", "--resource-type", "unit_test"], DEMO_AS_OF
    )
    assert nightly.success, nightly.error
    assert nightly.results == []
    # Here every one of them runs, on the warehouse the night built.
    units = run_dbt(settings, ["test", "--select", "test_type:unit"], DEMO_AS_OF)
    assert units.success, [(r.unique_id, r.message) for r in units.failed] or units.error
    manifest = json.loads((dbt_target(settings) / "manifest.json").read_text())
    ran = sorted(r.unique_id for r in units.results if r.unique_id.startswith("unit_test."))
    assert ran == sorted(manifest["unit_tests"])
    assert len(ran) > 40


def test_dbt_docs_generate_describes_every_published_column(night):
    from projledger.dbt_runner import run_dbt

    settings = night[0]
    result = run_dbt(settings, ["docs", "generate"], DEMO_AS_OF)
    assert result.success, result.error
    catalog = json.loads((dbt_target(settings) / "catalog.json").read_text())
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
