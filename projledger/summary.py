"""The readable end of a night: what came in, what the warehouse found, who was told."""

from __future__ import annotations

from datetime import date

from projledger.db import connect
from projledger.report import batch_table, table
from projledger.settings import Settings

OWNER_NAME = """
    coalesce((select d.dept_name from ref.departments as d where d.dept_code = {col}),
             (select s.street_name from ref.streets as s where s.street_code = {col}), {col})
"""


def _exists(cur, relation: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (relation,))
    return cur.fetchone()[0]


def _rows(cur, query: str, *params) -> list[tuple]:
    cur.execute(query, params)
    return cur.fetchall()


def night_summary(settings: Settings, as_of: date, batches, alert_lines, report) -> str:
    out = [f"Project Ledger: night of {as_of}"]
    if report is not None:
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
        out.append(f"steps: {timings}")
        out += [f"PROBLEM: {p}" for p in report.problems]
    if batches:
        out += _files_section(batches)
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            out += _store_section(cur, as_of)
            out += _quarantine_section(cur, as_of)
            out += _gap_section(cur, as_of)
            out += _warning_section(cur, as_of)
            out += _indicator_section(cur, as_of)
            out += _alert_section(cur, as_of, alert_lines)
    finally:
        conn.close()
    return "\n".join(out)


def _files_section(batches) -> list[str]:
    new = [b for b in batches if b.status != "skipped"]
    lines = ["", f"Files tonight: {len(new)} new, {len(batches) - len(new)} seen before"]
    if not new:
        return lines
    per_feed: dict[str, list[int]] = {}
    for b in new:
        counts = per_feed.setdefault(b.feed, [0, 0, 0, 0, 0, 0])
        counts[("loaded", "duplicate", "rejected").index(b.status)] += 1
        counts[3] += b.rows_total
        counts[4] += b.rows_rejected
        counts[5] += b.events_added
    lines.append(
        table(
            ["feed", "loaded", "duplicate", "rejected", "rows", "quarantined", "events"],
            [[feed, *c] for feed, c in per_feed.items()],
        )
    )
    attention = [b for b in new if b.status != "loaded" or b.rows_rejected]
    if attention:
        lines += ["", "Files that need a look", batch_table(attention)]
    return lines


def _store_section(cur, as_of: date) -> list[str]:
    rows = _rows(
        cur,
        """
        select b.feed, count(*) filter (where b.status = 'loaded'),
               count(*) filter (where b.status = 'duplicate'),
               count(*) filter (where b.status = 'rejected'),
               coalesce(sum(b.rows_total), 0), coalesce(sum(b.events_added), 0),
               max(b.delivered_on)
        from ledger.batch as b where b.delivered_on <= %s group by b.feed order by b.feed""",
        as_of,
    )
    if not rows:
        return ["", "The event store is empty."]
    return [
        "",
        f"Event store as known on {as_of} (batches by feed)",
        table(["feed", "loaded", "duplicate", "rejected", "rows", "events", "last delivery"], rows),
    ]


def _quarantine_section(cur, as_of: date) -> list[str]:
    rows = _rows(
        cur,
        """
        select r.reason, count(*) from ledger.rejected_row as r
        join ledger.batch as b using (batch_id) where b.delivered_on <= %s
        group by r.reason
        union all
        select 'rejected_file', count(*) from ledger.batch
        where status = 'rejected' and delivered_on <= %s having count(*) > 0
        order by 2 desc""",
        as_of,
        as_of,
    )
    if not rows:
        return ["", "Quarantine: nothing rejected."]
    return ["", "Quarantined rows by reason (隔离数据)", table(["reason", "rows"], rows)]


def _gap_section(cur, as_of: date) -> list[str]:
    if not _exists(cur, "marts.fct_coverage_gap"):
        return ["", "Coverage gaps: the warehouse has not been built yet."]
    owner = OWNER_NAME.format(col="g.owner_dept")
    rows = _rows(
        cur,
        f"""
        select {owner}, g.rule_id, count(*) filter (where g.status = 'open'),
               count(*) filter (where g.detected_on = %s),
               count(*) filter (where g.resolved_on = %s)
        from marts.fct_coverage_gap as g group by 1, 2 order by 1, 2""",
        as_of,
        as_of,
    )
    if not rows:
        return ["", "Coverage gaps (应入尽入): none."]
    return [
        "",
        "Coverage gaps (应入尽入) by owner and rule",
        table(["owner", "rule", "open", "new tonight", "resolved tonight"], rows),
    ]


def _warning_section(cur, as_of: date) -> list[str]:
    if not _exists(cur, "marts.fct_project_warning"):
        return []
    rows = _rows(
        cur,
        """
        select rule_id, count(*) filter (where grade = 'red'),
               count(*) filter (where grade = 'yellow')
        from marts.fct_project_warning group by rule_id order by rule_id""",
    )
    if not rows:
        return ["", "Warnings (分级预警): none."]
    cards = (
        _rows(cur, "select card, count(*) from marts.kpi_project group by card order by card")
        if _exists(cur, "marts.kpi_project")
        else []
    )
    lines = ["", "Warnings (分级预警) by rule", table(["rule", "red", "yellow"], rows)]
    if cards:
        lines.append("project cards: " + ", ".join(f"{card} {n}" for card, n in cards))
    return lines


def _indicator_section(cur, as_of: date) -> list[str]:
    if not _exists(cur, "marts.kpi_district"):
        return []
    rows = _rows(
        cur,
        """
        select period, projects_in_registry, projects_started, projects_in_production,
               round(investment_effect::numeric, 3), converted_above_scale_3y, open_gaps,
               red_cards, yellow_cards
        from marts.kpi_district order by period desc limit 1""",
    )
    if not rows:
        return []
    return [
        "",
        "District indicators, latest month",
        table(
            [
                "period",
                "in registry",
                "started",
                "in production",
                "investment effect",
                "above-scale (3y)",
                "open gaps",
                "red",
                "yellow",
            ],
            rows,
        ),
    ]


def _alert_section(cur, as_of: date, alert_lines) -> list[str]:
    problems = [line for line in alert_lines or [] if not line.startswith("sent ")]
    if not _exists(cur, "marts.fct_alert"):
        return []
    owner = OWNER_NAME.format(col="a.owner_dept")
    rows = _rows(
        cur,
        f"""
        select {owner}, a.recipients, a.n_new, a.n_open, a.n_resolved,
               case when a.escalated then 'yes' else '' end, a.channel,
               case when a.sent_at is null then 'NOT SENT' else 'sent' end
        from marts.fct_alert as a where a.run_date = %s order by a.owner_dept""",
        as_of,
    )
    lines = ["", f"Alert digests of {as_of} (告警摘要): {len(rows)}"]
    if rows:
        lines.append(
            table(
                ["owner", "to", "new", "open", "resolved", "escalated", "channel", "status"], rows
            )
        )
    return lines + [f"  {p}" for p in problems]
