"""What the monthly bulletin says, read from the published warehouse (schema `marts`) as built for
the run's as_of. Every query is ordered to the last key so that the same warehouse gives the same
document. A relation or column the warehouse does not publish yet gives an empty section."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

LEAD_STAGES = ("在谈", "签约", "落地", "终止")
RULE_LABELS = {
    "unregistered_project": "应入未入库项目",
    "unregistered_signed_lead": "签约未入库线索",
    "missing_fai_report": "缺固定资产投资月报",
    "missing_tax_record": "缺税收记录",
    "missing_land_record": "缺供地记录",
    "stale_milestones": "节点未按时更新",
    "missing_feed": "数据未按时报送",
    "unknown_project": "未知项目代码",
    "unknown_carrier": "未知载体名称",
}
BUILD_STATUS = {"built": "已建成", "building": "在建", "planned": "规划"}


def month_add(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def quarter_label(quarter: date) -> str:
    return f"{quarter.year}年第{'一二三四'[(quarter.month - 1) // 3]}季度"


@dataclass
class Bulletin:
    month: date
    as_of: date
    headline: dict[str, Any] = field(default_factory=dict)
    final_quarter: date | None = None
    final_ranking: list[dict] = field(default_factory=list)
    current_quarter: date | None = None
    current_ranking: list[dict] = field(default_factory=list)
    cards_by_street: list[dict] = field(default_factory=list)
    longest_gaps: list[dict] = field(default_factory=list)
    gaps_by_owner: list[dict] = field(default_factory=list)
    approvals_over: list[dict] = field(default_factory=list)
    approvals_over_total: int | None = None
    chain_median_days: Decimal | None = None
    chain_target_days: int = 50
    leads: list[dict] = field(default_factory=list)
    lead_medians: dict[str, Any] = field(default_factory=dict)
    carriers_district: dict[str, Any] | None = None
    carriers_period: date | None = None
    carriers_best: list[dict] = field(default_factory=list)
    carriers_worst: list[dict] = field(default_factory=list)
    investment_months: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"崇川区重大项目月度通报({self.month.year}年{self.month.month}月)"


class Reader:
    """Queries on one connection, with the relations and columns the warehouse publishes."""

    def __init__(self, conn) -> None:
        self.conn = conn
        with conn.cursor() as cur:
            cur.execute(
                "select table_name, column_name from information_schema.columns"
                " where table_schema = 'marts'"
            )
            self.columns: dict[str, set[str]] = {}
            for table, column in cur.fetchall():
                self.columns.setdefault(table, set()).add(column)

    def has(self, table: str, *columns: str) -> bool:
        return table in self.columns and set(columns) <= self.columns[table]

    def rows(self, sql: str, params: dict | None = None) -> list[dict]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params or {})
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: dict | None = None) -> dict:
        found = self.rows(sql, params)
        return found[0] if found else {}


def warehouse_as_of(conn) -> date | None:
    """The business date the marts were last built for (kpi_project carries it)."""
    reader = Reader(conn)
    for table in ("kpi_project", "fct_project_warning", "fct_coverage_gap"):
        if reader.has(table, "as_of"):
            found = reader.one(f"select max(as_of) as as_of from marts.{table}")  # noqa: S608
            if found.get("as_of"):
                return found["as_of"]
    return None


def gather(conn, month: date, as_of: date, chain_target_days: int = 50) -> Bulletin:
    r = Reader(conn)
    b = Bulletin(month=month, as_of=as_of, chain_target_days=chain_target_days)
    p = {"month": month, "next_month": month_add(month, 1), "year_start": date(month.year, 1, 1)}
    _headline(r, b, p)
    _ranking(r, b, p)
    _cards_and_gaps(r, b)
    _approvals(r, b, p)
    _leads(r, b)
    _carriers(r, b, p)
    _investment(r, b, p)
    return b


PLAN_SPREAD = """
    with projects as (
        select
            planned_investment,
            date_trunc('month', planned_start)::date as first_month,
            date_trunc('month', planned_completion)::date as last_month
        from marts.dim_project
        where is_current and in_registry and planned_investment > 0
            and planned_start is not null and planned_completion >= planned_start
    )
    select months.period::date as period,
           sum(projects.planned_investment / (
               (extract(year from projects.last_month) - extract(year from projects.first_month))
               * 12 + extract(month from projects.last_month)
               - extract(month from projects.first_month) + 1
           )) as plan
    from projects
    cross join generate_series(projects.first_month, projects.last_month, interval '1 month')
        as months (period)
    group by months.period
"""


def _headline(r: Reader, b: Bulletin, p: dict) -> None:
    h: dict[str, Any] = dict.fromkeys(
        ("projects_in_registry", "projects_started", "projects_in_production")
    )
    if r.has("kpi_district", "period", "projects_in_registry"):
        h.update(
            r.one(
                """select projects_in_registry, projects_started, projects_in_production
                   from marts.kpi_district where period = %(month)s""",
                p,
            )
        )
    current = r.one(
        """select count(*) filter (where registered_on >= %(month)s
                                     and registered_on < %(next_month)s) as new_projects,
                  count(*) as registry_now
           from marts.dim_project where is_current and in_registry""",
        p,
    )
    h.update(current)
    money = r.one(
        """select sum(month_investment) filter (where period = %(month)s) as month_actual,
                  sum(month_investment) filter (
                      where period >= %(year_start)s and period <= %(month)s) as year_actual
           from marts.fct_project_month""",
        p,
    )
    plan = r.one(
        f"""select sum(plan) filter (where period = %(month)s) as month_plan,
                   sum(plan) filter (
                       where period >= %(year_start)s and period <= %(month)s) as year_plan
            from ({PLAN_SPREAD}) as spread""",  # noqa: S608
        p,
    )
    h.update(money)
    h.update(plan)
    for key in ("month", "year"):
        actual, planned = h.get(f"{key}_actual"), h.get(f"{key}_plan")
        h[f"{key}_ratio"] = actual / planned if actual is not None and planned else None
    rules = ("unregistered_project", "unregistered_signed_lead")
    gaps = r.one(
        """select count(*) as n from marts.fct_coverage_gap
           where status = 'open' and rule_id = any(%(rules)s)""",
        {"rules": list(rules)},
    )
    h["coverage_gaps"] = gaps.get("n", 0)
    registry = current.get("registry_now") or 0
    total = registry + h["coverage_gaps"]
    h["coverage_rate"] = Decimal(registry) / Decimal(total) if total else None
    b.headline = h


RANKING_COLUMNS = """q.street_code, s.street_name, q.quarter, q.is_final, q.major_projects,
    q.investment_wan, q.hitech, q.conversions, q.signed_leads_wan, q.score_major_projects,
    q.score_investment, q.score_hitech, q.score_conversions, q.score_signed_leads, q.red_cards,
    q.yellow_cards, q.open_gaps, q.penalty, q.score, q.rank, q.grade"""


def _ranking(r: Reader, b: Bulletin, p: dict) -> None:
    if not r.has("kpi_street_quarter", "quarter", "is_final", "score", "rank"):
        b.missing.append("kpi_street_quarter")
        return
    last_final = r.one(
        """select max(quarter) as quarter from marts.kpi_street_quarter
           where is_final and quarter <= %(month)s""",
        p,
    ).get("quarter")
    current = date(p["month"].year, (p["month"].month - 1) // 3 * 3 + 1, 1)
    sql = f"""select {RANKING_COLUMNS}
              from marts.kpi_street_quarter as q
              left join marts.dim_street as s on q.street_code = s.street_code
              where q.quarter = %(quarter)s
              order by q.rank, q.street_code"""  # noqa: S608
    if last_final:
        b.final_quarter = last_final
        b.final_ranking = r.rows(sql, {"quarter": last_final})
    if current != last_final:
        rows = r.rows(sql, {"quarter": current})
        if rows:
            b.current_quarter = current
            b.current_ranking = rows


def _cards_and_gaps(r: Reader, b: Bulletin) -> None:
    b.cards_by_street = r.rows(
        """select k.street_code, s.street_name,
                  count(*) filter (where k.card = 'red') as red,
                  count(*) filter (where k.card = 'yellow') as yellow
           from marts.kpi_project as k
           left join marts.dim_street as s on k.street_code = s.street_code
           where k.card in ('red', 'yellow')
           group by k.street_code, s.street_name
           order by red desc, yellow desc, k.street_code"""
    )
    owners = """left join marts.dim_department as d on g.owner_dept = d.dept_code
                left join marts.dim_street as s on g.owner_dept = s.street_code"""
    b.longest_gaps = r.rows(
        f"""select g.gap_id, g.rule_id, g.owner_dept,
                   coalesce(d.dept_name, s.street_name, g.owner_dept) as owner_name,
                   coalesce(g.project_code, g.parcel_no, g.credit_code, g.feed) as subject,
                   g.period, g.detected_on, g.days_open
            from marts.fct_coverage_gap as g
            {owners}
            where g.status = 'open'
            order by g.days_open desc, g.detected_on, g.gap_id
            limit 10"""  # noqa: S608
    )
    for gap in b.longest_gaps:
        gap["rule_label"] = RULE_LABELS.get(gap["rule_id"], gap["rule_id"])
    b.gaps_by_owner = r.rows(
        f"""select g.owner_dept, coalesce(d.dept_name, s.street_name, g.owner_dept) as owner_name,
                   count(*) as open_gaps, max(g.days_open) as longest_days
            from marts.fct_coverage_gap as g
            {owners}
            where g.status = 'open'
            group by g.owner_dept, d.dept_name, s.street_name
            order by open_gaps desc, g.owner_dept"""  # noqa: S608
    )


def _approvals(r: Reader, b: Bulletin, p: dict) -> None:
    if r.has("fct_approval", "over_limit_days", "status"):
        over = """from marts.fct_approval as a
                  left join marts.dim_project as d
                      on a.project_code = d.project_code and d.is_current
                  where a.status = 'pending' and a.over_limit_days > 0"""
        b.approvals_over_total = r.one(f"select count(*) as n {over}").get("n", 0)  # noqa: S608
        b.approvals_over = r.rows(
            f"""select a.project_code, d.project_name, a.item, a.accepted_on, a.working_days,
                       a.limit_working_days, a.over_limit_days
                {over}
                order by a.over_limit_days desc, a.project_code, a.item
                limit 10"""  # noqa: S608
        )
    else:
        b.missing.append("fct_approval")
    if r.has("kpi_district", "approval_chain_median_days"):
        b.chain_median_days = r.one(
            """select approval_chain_median_days as days from marts.kpi_district
               where period = %(month)s""",
            p,
        ).get("days")


def _leads(r: Reader, b: Bulletin) -> None:
    if not r.has("fct_lead", "stage", "intended_investment"):
        b.missing.append("fct_lead")
        return
    in_ledger = "where in_ledger" if r.has("fct_lead", "in_ledger") else ""
    found = {
        row["stage"]: row
        for row in r.rows(
            f"""select stage, count(*) as n, coalesce(sum(intended_investment), 0) as amount
                from marts.fct_lead {in_ledger}
                group by stage order by stage"""  # noqa: S608
        )
    }
    b.leads = [found.get(s, {"stage": s, "n": 0, "amount": 0}) for s in LEAD_STAGES]
    b.lead_medians = r.one(
        f"""select
              percentile_cont(0.5) within group (order by days_contact_to_sign) as contact_to_sign,
              percentile_cont(0.5) within group (order by days_sign_to_registry)
                  as sign_to_registry,
              percentile_cont(0.5) within group (order by days_registry_to_start)
                  as registry_to_start
            from marts.fct_lead {in_ledger}"""  # noqa: S608
    )


def _carriers(r: Reader, b: Bulletin, p: dict) -> None:
    if not r.has("kpi_carrier_district", "period") or not r.has("kpi_carrier", "period"):
        b.missing.append("kpi_carrier")
        return
    period = r.one(
        "select max(period) as period from marts.kpi_carrier_district where period <= %(month)s",
        p,
    ).get("period")
    if period is None:
        return
    b.carriers_period = period
    b.carriers_district = r.one(
        "select * from marts.kpi_carrier_district where period = %(period)s", {"period": period}
    )
    ranked = """select c.carrier_name, c.street_code, s.street_name, c.carrier_kind,
                       c.usable_area_m2, c.occupied_area_m2, c.vacancy_rate,
                       c.tax_per_m2_ttm_yuan
                from marts.kpi_carrier as c
                left join marts.dim_street as s on c.street_code = s.street_code
                where c.period = %(period)s and c.tax_per_m2_ttm_yuan is not null"""
    b.carriers_best = r.rows(
        ranked + " order by c.tax_per_m2_ttm_yuan desc, c.carrier_name limit 5",
        {"period": period},
    )
    b.carriers_worst = r.rows(
        ranked + " order by c.tax_per_m2_ttm_yuan, c.carrier_name limit 5", {"period": period}
    )


def _investment(r: Reader, b: Bulletin, p: dict) -> None:
    first = month_add(p["month"], -11)
    params = {"first": first, "month": p["month"]}
    actual = {
        row["period"]: row["actual"]
        for row in r.rows(
            """select period, sum(month_investment) as actual from marts.fct_project_month
               where period between %(first)s and %(month)s group by period order by period""",
            params,
        )
    }
    plan = {
        row["period"]: row["plan"]
        for row in r.rows(
            f"""select period, plan from ({PLAN_SPREAD}) as spread
                where period between %(first)s and %(month)s order by period""",  # noqa: S608
            params,
        )
    }
    b.investment_months = [
        {
            "period": month_add(first, i),
            "actual": actual.get(month_add(first, i)) or 0,
            "plan": plan.get(month_add(first, i)) or 0,
        }
        for i in range(12)
    ]
