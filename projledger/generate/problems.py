"""The known problems, injected into an otherwise clean world, each recorded in Expected
with the exact subject the warehouse must report (and the negatives it must not)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from projledger.generate.calendar import add_months, month_start, on_or_before
from projledger.generate.expected import Expected
from projledger.generate.promotion import lead
from projledger.generate.workdays import accepted_for
from projledger.generate.world import (
    APPROVAL,
    BUILDINGS,
    COMPLETION,
    INDUSTRIAL,
    LAND,
    PARKS,
    PRODUCTION,
    SERVICE,
    SITE,
    START,
    Approval,
    Project,
    World,
    fai_months,
)
from projledger.settings import REPO_ROOT, rule_vars

# Carrier names that no carriers delivery lists (unknown_carrier), and one only used before
# the TTM window (must not be reported).
UNKNOWN_REGISTRY_CARRIERS = ("海安临港智汇园", "北站商务区B地块", "通州湾飞地产业园")
UNKNOWN_TAX_CARRIERS = ("南通外贸大楼", "濠河文创街区", "城西物流港")
OLD_CARRIER = "城南老粮库"


@dataclass
class Extra:
    """A row added to the first delivery of `feed` on or after `on`. `record` (if any) is
    completed with the file and line number when it is written."""

    feed: str
    on: date
    values: dict
    record: dict | None = None
    status: str | None = None  # a retraction: 作废 / void
    extra: dict = field(default_factory=dict)


def _days(d: int) -> timedelta:
    return timedelta(days=d)


class Injector:
    def __init__(self, world: World, exp: Expected, scale: float):
        self.w, self.exp = world, exp
        self.rng = world.rng
        self.a = world.cal.as_of
        self.n = max(1, round(2 * scale))
        self.extras: list[Extra] = []
        self.mid = world.cal.start + (self.a - world.cal.start) / 2
        self.k = 0  # the round of injection (distinct names per round)
        # The rules' thresholds, read where the warehouse reads them (dbt_project.yml vars).
        self.vars = rule_vars(REPO_ROOT / "dbt_project")

    # --- helpers -----------------------------------------------------------------------
    def project(
        self, state: str, tag: str, kind: str | None = None, accept=lambda p: True, add: bool = True
    ) -> Project:
        p = self.w.new_project(state, kind, accept)
        p.tags.append(tag)
        return self.w.add(p) if add else p

    def custom(
        self,
        tag: str,
        industrial: bool,
        anchor: str,
        anchor_date: date,
        unset_from: str | None = None,
        accept=lambda p: True,
        registered: bool = True,
    ) -> Project:
        """A project planned around a node date, its nodes from `unset_from` on left open."""
        w = self.w
        for _ in range(500):
            nodes = w.plan(industrial, anchor, anchor_date)
            p = w._project(INDUSTRIAL if industrial else SERVICE, nodes, "custom")
            if unset_from:
                seq = p.node(unset_from).seq
                for m in p.nodes:
                    if m.seq >= seq:
                        m.actual = None
            if (not registered or p.planned(APPROVAL) <= self.a - _days(25)) and accept(p):
                p.tags.append(tag)
                return w.add(p)
        raise RuntimeError(f"could not build {tag}")

    def fresh_code(self) -> str:
        code, _, _ = self.w.next_code(self.a.year)
        return code

    # --- all ---------------------------------------------------------------------------
    def run(self) -> list[Extra]:
        for _ in range(self.n):
            self.unregistered()
            self.missing_reports()
            self.milestone_problems()
            self.overdue()
            self.investment_and_tax()
            self.idle_land()
            self.relocated()
            self.lead_problems()
            self.approval_overdue()
            self.unknown_carriers()
            self.k += 1
        self.negatives()
        self.promotion_negatives()
        self.unknown_projects()
        self.data_events()
        self.bad_rows()
        self.promotion_bad_rows()
        return self.extras

    # --- coverage gaps -----------------------------------------------------------------
    def unregistered(self) -> None:
        w, a, exp = self.w, self.a, self.exp
        item = w.refs.items_for_node(APPROVAL)[0]
        # A granted filing of a large project, decided long past the grace period.
        p = self.custom(
            "unregistered_approval", True, APPROVAL, a - _days(self.rng.randint(45, 150))
        )
        p.in_registry, p.no_land, p.no_milestones = False, True, True
        p.investment = round(self.rng.uniform(12000, 90000), -2)
        decided = p.planned(APPROVAL)
        p.approvals = [
            Approval(
                p.code,
                p.name,
                p.credit_code,
                item,
                decided - _days(12),
                decided,
                "准予",
                p.investment,
            )
        ]
        exp.gap(
            "unregistered_project",
            project_code=p.code,
            credit_code=p.credit_code,
            note=f"{item} 准予 {p.investment:.0f} 万元 decided {p.planned(APPROVAL)}",
        )
        # An industrial parcel sold to a project that never entered the library.
        q = self.custom(
            "unregistered_land", True, LAND, a - _days(self.rng.randint(60, 200)), unset_from=START
        )
        q.in_registry = False
        site_item = w.refs.items_for_node(SITE)[0]
        q.approvals = [
            Approval(
                q.code,
                q.name,
                q.credit_code,
                site_item,
                q.actual(SITE) - _days(10),
                q.actual(SITE),
                "准予",
                q.investment,
            )
        ]
        q.parcel = w.parcel_for(q)
        exp.gap(
            "unregistered_project",
            project_code=q.code,
            credit_code=q.credit_code,
            parcel_no=q.parcel.parcel_no,
            note=f"industrial parcel signed {q.parcel.signed}, project not in the library",
        )
        # An industrial parcel with no project code whose buyer has no library project.
        parcel = w.standalone_parcel(INDUSTRIAL, a + _days(self.rng.randint(30, 200)), False)
        parcel.signed = a - _days(self.rng.randint(60, 200))
        w.parcels.append(parcel)
        exp.gap(
            "unregistered_project",
            parcel_no=parcel.parcel_no,
            credit_code=parcel.credit_code,
            note=f"industrial parcel without project code signed {parcel.signed}",
        )

    def missing_reports(self) -> None:
        exp, cal = self.exp, self.w.cal
        last_fai = cal.latest_fai_month()
        p = self.project(
            "construction", "missing_fai_report", accept=lambda p: len(fai_months(p, last_fai)) >= 5
        )
        months = fai_months(p, last_fai)
        skip = months[-1] if self.rng.random() < 0.5 else self.rng.choice(months[1:-1])
        p.fai_skip.add(skip)
        exp.gap("missing_fai_report", project_code=p.code, period=skip, credit_code=p.credit_code)

        last_tax = cal.latest_tax_month()
        q = self.project(
            "production",
            "missing_tax_record",
            accept=lambda p: month_start(p.actual(PRODUCTION)) < add_months(last_tax, -3),
        )
        first = add_months(month_start(q.actual(PRODUCTION)), 1)
        span = (last_tax.year - first.year) * 12 + last_tax.month - first.month
        skip = add_months(first, self.rng.randint(0, span))
        q.tax_skip.add(skip)
        exp.gap("missing_tax_record", project_code=q.code, credit_code=q.credit_code, period=skip)

        r = self.project(
            "pre_start",
            "missing_land_record",
            INDUSTRIAL,
            accept=lambda p: p.actual(LAND) is not None and p.actual(LAND) < self.a - _days(45),
        )
        r.no_land = True
        exp.gap(
            "missing_land_record", project_code=r.code, note=f"征地 met {r.actual(LAND)}, no parcel"
        )

    def milestone_problems(self) -> None:
        a, exp = self.a, self.exp
        until = on_or_before(a - _days(self.rng.randint(14, 30)), 0)

        def quiet(p: Project) -> bool:
            # Nothing happens between the street's last report and as_of.
            return (
                p.registered_on < until - _days(7)
                and all(m.actual is None or m.actual <= until for m in p.nodes)
                and all(m.actual is not None for m in p.nodes if m.planned <= a + _days(10))
            )

        p = self.project("pre_start", "stale_milestones", accept=quiet)
        p.report_until = until
        exp.gap("stale_milestones", project_code=p.code, note=f"last reported_on {until}")
        q = self.project(
            "pre_start",
            "stale_milestones",
            SERVICE,
            accept=lambda p: p.registered_on >= a - _days(40),
        )
        q.no_milestones = True
        exp.gap("stale_milestones", project_code=q.code, note="registered, never reported")

    def overdue(self) -> None:
        a, exp, rng = self.a, self.exp, self.rng
        # node_overdue on an open node: 竣工 25 (yellow) and 80 (red) days late.
        for days, grade, ind in (
            (rng.randint(10, 50), "yellow", rng.random() < 0.5),
            (rng.randint(70, 110), "red", True),
        ):
            p = self.custom(
                "node_overdue",
                ind,
                COMPLETION,
                a - _days(days),
                unset_from=COMPLETION,
                accept=lambda p: p.planned(PRODUCTION) > a + _days(10),
            )
            exp.warning(
                "node_overdue",
                grade,
                project_code=p.code,
                delay_days=days,
                node=COMPLETION,
                planned_date=p.planned(COMPLETION),
            )
        # Met late within the last 30 days: still warned.
        p = self.met_late(a - _days(40), a - _days(25), 15)
        m = p.tags_node
        exp.warning(
            "node_overdue",
            "yellow",
            project_code=p.code,
            delay_days=15,
            node=m.node,
            planned_date=m.planned,
            actual_date=m.actual,
            note="met 15 days late, within 30 days of as_of",
        )
        # start_overdue and production_overdue (each also overdue as a node).
        for rule, node, planned_field in (
            ("start_overdue", START, "planned_start"),
            ("production_overdue", PRODUCTION, "planned_production"),
        ):
            for days, grade in ((rng.randint(10, 80), "yellow"), (rng.randint(100, 160), "red")):
                p = self.custom(rule, rng.random() < 0.5, node, a - _days(days), unset_from=node)
                planned = {planned_field: p.planned(node)}
                exp.warning(rule, grade, project_code=p.code, delay_days=days, **planned)
                exp.warning(
                    "node_overdue",
                    "yellow" if days <= self.vars["node_overdue_red_days"] else "red",
                    project_code=p.code,
                    delay_days=days,
                    node=node,
                    planned_date=p.planned(node),
                )
        # plan_exceeds_quota: a future node planned 25 days beyond its quota.
        p = self.project(
            "pre_start", "plan_exceeds_quota", accept=lambda p: p.nodes[-4].planned > a + _days(20)
        )
        target = p.node(START)
        prev = p.nodes[p.nodes.index(target) - 1]
        quota = next(n for n in self.w.refs.nodes if n.node == START).quota(p.industrial)
        shift = (prev.planned + _days(quota + 25)) - target.planned
        for m in p.nodes[p.nodes.index(target) :]:
            m.planned += shift
        exp.warning(
            "plan_exceeds_quota",
            "yellow",
            project_code=p.code,
            delay_days=25,
            node=START,
            previous_node=prev.node,
            quota_days=quota,
            gap_days=quota + 25,
            note="exceeds the quota by 25 days",
        )

    def met_late(self, lo: date, hi: date, late: int) -> Project:
        """A pre-start project whose node planned in [lo, hi] was met `late` days late."""

        def ok(p: Project) -> bool:
            cands = [m for m in p.nodes if lo <= m.planned <= hi and m.node != START]
            if not cands:
                return False
            m = cands[0]
            nxt = p.nodes[p.nodes.index(m) + 1]
            return nxt.actual is None or nxt.actual >= m.planned + _days(late)

        p = self.project("pre_start", "node_overdue", accept=ok)
        m = next(m for m in p.nodes if lo <= m.planned <= hi and m.node != START)
        m.actual = m.planned + _days(late)
        p.tags_node = m  # type: ignore[attr-defined]
        return p

    def investment_and_tax(self) -> None:
        exp, cal = self.exp, self.w.cal
        last_fai = cal.latest_fai_month()
        for ratio, grade in ((0.55, "yellow"), (0.25, "red")):
            p = self.project(
                "construction",
                "investment_lag",
                accept=lambda p: (
                    len(fai_months(p, last_fai)) >= 9 and p.planned(COMPLETION) > self.a + _days(60)
                ),
            )
            p.fai_ratio = ratio
            exp.warning(
                "investment_lag",
                grade,
                project_code=p.code,
                ratio=ratio,
                note="cumulative = ratio x straight-line plan at the end of each month",
            )
        last_tax = cal.latest_tax_month()
        for ratio, grade in ((0.8, "yellow"), (0.3, "red")):
            p = self.project(
                "production",
                "tax_commitment_shortfall",
                INDUSTRIAL,
                accept=lambda p: month_start(p.actual(PRODUCTION)) < add_months(last_tax, -13),
            )
            p.tax_ratio = ratio
            exp.warning(
                "tax_commitment_shortfall",
                grade,
                project_code=p.code,
                ratio=ratio,
                committed_tax_per_mu=p.committed_tax,
                note="monthly tax constant: TTM tax per mu = ratio x commitment",
            )

    def idle_land(self) -> None:
        w, a = self.w, self.a
        days = self.rng.randint(380, 600)
        parcel = w.standalone_parcel("仓储", a - _days(days), False)
        w.parcels.append(parcel)
        idle_since = add_months(parcel.agreed_start, 12 * self.vars["idle_land_years"])
        self.exp.warning(
            "idle_land",
            "red",
            parcel_no=parcel.parcel_no,
            delay_days=(a - idle_since).days,
            agreed_start=parcel.agreed_start,
            days_since_agreed_start=days,
            note="delay_days counted from agreed_start + 1 year",
        )

    def relocated(self) -> None:
        p = self.project("pre_start", "relocated_not_new", accept=lambda p: p.carrier != "")
        p.tax_before = self.rng.choice([c for c in PARKS + BUILDINGS if c != p.carrier])
        self.exp.relocated_not_new.append(p.code)

    # --- negatives: must produce nothing -----------------------------------------------
    def negatives(self) -> None:
        w, a, exp, rng = self.w, self.a, self.exp, self.rng
        item = w.refs.items_for_node(APPROVAL)[0]
        for case, days, result, invest in (
            ("approval within grace", rng.randint(5, 20), "准予", 30000.0),
            ("approval refused", rng.randint(60, 120), "不予", 30000.0),
            ("approval below 10000", rng.randint(60, 120), "准予", 8000.0),
        ):
            p = self.custom(
                "negative", True, APPROVAL, a - _days(days), unset_from=SITE, registered=False
            )
            p.in_registry = False
            p.no_milestones = True
            p.approvals = [
                Approval(
                    p.code,
                    p.name,
                    p.credit_code,
                    item,
                    a - _days(days + 10),
                    a - _days(days),
                    result,
                    invest,
                )
            ]
            exp.negative(
                case,
                "unregistered_project",
                f"{item} {result} {invest:.0f} 万元 decided {a - _days(days)}",
                project_code=p.code,
            )
        p = self.project(
            "pre_start",
            "negative",
            INDUSTRIAL,
            accept=lambda p: (
                p.actual(LAND) is not None and a - _days(25) <= p.actual(LAND) <= w.cal.last_monday
            ),
        )
        p.no_land = True
        exp.negative(
            "征地 met within grace, no parcel yet",
            "missing_land_record",
            f"征地 met {p.actual(LAND)}",
            project_code=p.code,
        )
        p = self.met_late(a - _days(110), a - _days(80), 15)
        exp.negative(
            "node met late more than 30 days ago",
            "node_overdue",
            f"{p.tags_node.node} met {p.tags_node.actual}",
            project_code=p.code,
        )
        # A clean project that keeps clean: an extra industrial parcel without project code.
        host = self.project("construction", "negative", INDUSTRIAL, add=True)
        host.tags.clear()  # clean: nothing may be found on it
        extra = w.standalone_parcel(INDUSTRIAL, a + _days(rng.randint(40, 200)), False)
        extra.signed = a - _days(rng.randint(60, 200))
        extra.credit_code, extra.street = host.credit_code, host.street
        w.parcels.append(extra)
        exp.negative(
            "industrial parcel without project code, buyer has a library project",
            "unregistered_project",
            "",
            parcel_no=extra.parcel_no,
            credit_code=host.credit_code,
            project_code=host.code,
        )
        parcel = w.standalone_parcel("商服", a - _days(rng.randint(200, 330)), False)
        w.parcels.append(parcel)
        exp.negative(
            "agreed start less than a year ago", "idle_land", "", parcel_no=parcel.parcel_no
        )
        p = self.project("pre_start", "negative", accept=lambda p: p.carrier != "")
        p.tags.clear()
        p.tax_before = p.carrier
        exp.not_relocated.append(p.code)
        exp.negative(
            "paid tax before registration under the same carrier",
            "relocated_not_new",
            "",
            project_code=p.code,
        )

    # --- unknown project codes ---------------------------------------------------------
    def unknown_projects(self) -> None:
        cal, exp = self.w.cal, self.exp
        last = cal.latest_fai_month()
        rows = (
            (
                "stats_fai",
                self.a - _days(40),
                {
                    "period": add_months(last, -1),
                    "month_investment": 1250.0,
                    "cumulative_investment": 8800.0,
                },
            ),
            (
                "milestones",
                self.a - _days(20),
                {
                    "node": self.w.refs.nodes[0].node,
                    "planned_date": self.a - _days(60),
                    "actual_date": self.a - _days(62),
                    "reported_on": None,
                    "note": "新项目",
                },
            ),
        )
        for feed, on, values in rows:
            code = self.fresh_code()
            self.extras.append(Extra(feed, on, {"project_code": code, **values}))
            exp.gap("unknown_project", project_code=code, feed=feed)
        code = self.fresh_code()
        parcel = self.w.standalone_parcel("商服", self.a + _days(90), False)
        parcel.project_code = code
        parcel.signed = self.a - _days(50)
        self.w.parcels.append(parcel)
        exp.gap("unknown_project", project_code=code, feed="land", parcel_no=parcel.parcel_no)

    # --- data events -------------------------------------------------------------------
    def data_events(self) -> None:
        w, a, exp, rng = self.w, self.a, self.exp, self.rng
        cal = w.cal
        live = [p for p in w.projects if p.clean and p.registered_at(a)]
        clean = [p for p in live if p.registered_on < cal.start] or live
        # A project renamed in a later snapshot (a changed row of a full snapshot).
        p = rng.choice(clean)
        on = cal.mondays[len(cal.mondays) // 2]
        p.renamed = (on, p.name + "(二期)")
        exp.event(
            "corrections",
            feed="registry",
            key=p.code,
            field="project_name",
            old=p.name,
            new=p.renamed[1],
            from_delivery=on,
        )
        # A project leaving the library (investment cut below the 亿元 threshold).
        idx = max(1, len(cal.mondays) - 5)
        left = self.project(
            "pre_start",
            "left_registry",
            SERVICE,
            accept=lambda p: p.registered_on < cal.mondays[idx - 1],
        )
        left.tags.clear()
        left.investment = 8000.0
        left.left_on = cal.mondays[idx]
        exp.event("left_registry", feed="registry", key=left.code, left_on=left.left_on)
        exp.negative(
            "left the library; its rows name a project known from approvals",
            "unknown_project",
            "",
            project_code=left.code,
        )
        # A wrongly entered approval, voided later (record_status void).
        host = rng.choice([p for p in live if p.state == "pre_start"] or live)
        item = w.refs.items_for_node(COMPLETION)[0]
        first = a - _days(30)
        ap = Approval(
            host.code,
            host.name,
            host.credit_code,
            item,
            first - _days(3),
            first,
            "准予",
            host.investment,
            void_on=a - _days(16),
        )
        w.approvals.append(ap)
        exp.event(
            "retractions",
            feed="approvals",
            key=f"{host.code}|{item}",
            entered_on=first,
            voided=ap.void_on,
            status_value="void",
        )
        # A parcel entered by mistake, voided (状态 作废).
        parcel = w.standalone_parcel("商服", a + _days(120), False)
        parcel.signed = a - _days(45)
        parcel.void_on = a - _days(20)
        w.parcels.append(parcel)
        exp.event(
            "retractions",
            feed="land",
            key=parcel.parcel_no,
            entered_on=parcel.signed,
            voided=parcel.void_on,
            status_value="作废",
        )

    # --- bad rows ----------------------------------------------------------------------
    def bad(self, feed: str, reason: str, values: dict, on: date | None = None) -> None:
        rec = {"feed": feed, "file": None, "line_no": None, "reason": reason}
        self.exp.quarantine.append(rec)
        self.extras.append(Extra(feed, on or self.mid, values, rec))

    def bad_rows(self) -> None:
        w, a = self.w, self.a
        ent = w.enterprises
        period = add_months(month_start(self.mid), -1)
        good = ent.codes[1]
        wrong = good[:17] + ("0" if good[17] != "0" else "1")
        tax = {
            "taxpayer_name": ent.names[1],
            "period": period,
            "tax_type": "印花税",
            "amount_yuan": 320.0,
            "paid_on": add_months(period, 1).replace(day=12),
            "street_code": ent.streets[1],
            "carrier": "",
        }
        self.bad("tax", "invalid_credit_code", {**tax, "credit_code": wrong})
        self.bad(
            "tax",
            "unknown_street",
            {**tax, "credit_code": ent.codes[2], "street_code": "320699001"},
        )
        self.bad(
            "tax", "invalid_number", {**tax, "credit_code": ent.codes[3], "amount_yuan": "1.234,50"}
        )
        exc = w.refs.exceptions[0]
        rec = {"feed": "tax", "file": None, "line_no": None, "credit_code": exc}
        self.exp.must_load.append(rec)
        self.extras.append(
            Extra(
                "tax",
                self.mid,
                {**tax, "credit_code": exc, "taxpayer_name": "南通港闸建材经营部"},
                rec,
            )
        )
        self.bad(
            "stats_fai",
            "invalid_project_code",
            {
                "project_code": f"{a.year}-320602-39-03-00041",
                "period": period,
                "month_investment": 300.0,
                "cumulative_investment": 900.0,
            },
        )
        self.bad(
            "stats_fai",
            "invalid_number",
            {
                "project_code": self.fresh_code(),
                "period": period,
                "month_investment": "12O.5",
                "cumulative_investment": 900.0,
            },
        )
        self.bad(
            "stats_enterprise",
            "invalid_date",
            {
                "credit_code": ent.codes[4],
                "period": f"{period.year}-13",
                "output_value": 1200.0,
                "revenue": 1300.0,
                "above_scale": "是",
            },
        )
        self.bad(
            "approvals",
            "invalid_date",
            {
                "project_code": self.fresh_code(),
                "project_name": "智能仓储物流项目",
                "credit_code": ent.codes[5],
                "item": w.refs.items_for_node(APPROVAL)[0],
                "accepted_on": f"{a.year}-02-30",
                "decided_on": None,
                "result": None,
                "total_investment": 5000.0,
            },
        )
        self.bad(
            "approvals",
            "unknown_code_value",
            {
                "project_code": self.fresh_code(),
                "project_name": "智能仓储物流项目",
                "credit_code": ent.codes[5],
                "item": "环评批复",
                "accepted_on": a - _days(70),
                "decided_on": None,
                "result": None,
                "total_investment": 5000.0,
            },
        )
        host = next(
            (
                p
                for p in w.projects
                if p.clean and p.state == "pre_start" and p.registered_at(self.mid)
            ),
            w.projects[0],
        )
        self.bad(
            "milestones",
            "unknown_code_value",
            {
                "project_code": host.code,
                "node": "验收",
                "planned_date": a + _days(400),
                "actual_date": None,
                "reported_on": None,
                "note": "",
            },
        )
        reg = {
            "project_code": self.fresh_code(),
            "project_name": "港城智造产业园项目",
            "credit_code": ent.codes[6],
            "street_code": w.refs.streets[0],
            "industry": w.refs.industries[0],
            "project_kind": INDUSTRIAL,
            "carrier": "",
            "planned_investment": 20000.0,
            "planned_start": a + _days(200),
            "planned_completion": a + _days(900),
            "planned_production": a + _days(1000),
            "registered_on": self.mid - _days(3),
            "committed_tax_per_mu": 30.0,
        }
        self.bad("registry", "missing_required", {**reg, "project_name": ""})
        self.bad(
            "registry",
            "unknown_street",
            {**reg, "project_code": self.fresh_code(), "street_code": "320602099"},
        )
        self.bad(
            "land",
            "invalid_number",
            {
                "parcel_no": w.parcel_no(a.year, "R"),
                "project_code": None,
                "credit_code": ent.codes[7],
                "street_code": ent.streets[7],
                "land_use": "商服",
                "area_m2": "0",
                "contract_signed_on": self.mid - _days(5),
                "price": 800.0,
                "agreed_start": a + _days(100),
                "agreed_completion": a + _days(700),
                "actual_start": None,
                "actual_completion": None,
            },
        )

    # --- the promotion loop: leads, approvals, carriers --------------------------------
    def lead_problems(self) -> None:
        w, a, exp, rng = self.w, self.a, self.exp, self.rng
        # Signed long past the grace period, no local entity yet: nothing can match it.
        signed = a - _days(rng.randint(100, 300))
        x = lead(
            w,
            rng,
            first_contact=signed - _days(rng.randint(60, 200)),
            intended=round(rng.uniform(12000, 80000), -2),
            signed=signed,
            tag="unregistered_signed_lead",
        )
        exp.gap(
            "unregistered_signed_lead",
            lead_id=x.lead_id,
            note=f"签约 {signed}, {x.intended:.0f} 万元, no credit_code, no project_code",
        )
        # 落地 per the feed, with a project code the library does not have: matched by code
        # only, so the investor's credit code (a library project's) does not save it.
        host = next(p for p in w.projects if p.clean and p.registered_at(a) and p.left_on is None)
        signed = a - _days(rng.randint(120, 300))
        code = self.fresh_code()
        x = lead(
            w,
            rng,
            first_contact=signed - _days(rng.randint(60, 200)),
            intended=round(rng.uniform(12000, 80000), -2),
            signed=signed,
            landed=signed + _days(30),
            project_code=code,
            credit_code=host.credit_code,
            tag="unregistered_signed_lead",
        )
        exp.gap(
            "unregistered_signed_lead",
            lead_id=x.lead_id,
            note=f"落地 {signed}, project_code {code} not in the library "
            f"(its credit_code is library project {host.code}'s)",
        )
        # In talks too long: 181-365 days yellow, more red; delay_days = days past 180.
        for grade, days in (
            ("yellow", 180 + rng.randint(1, 185)),
            ("red", 366 + rng.randint(0, 300)),
        ):
            x = lead(
                w,
                rng,
                first_contact=a - _days(days),
                intended=round(rng.uniform(5000, 80000), -2),
                tag="lead_stalled",
            )
            exp.warning(
                "lead_stalled",
                grade,
                lead_id=x.lead_id,
                delay_days=days - 180,
                first_contact_on=x.first_contact,
                sourcing_unit=x.sourcing_unit,
                note=f"在谈 for {days} days",
            )

    def _open_item(self, p: Project) -> str | None:
        """The approval item of the project's first open node that has one."""
        items = self.w.refs.items_for_node
        m = next((m for m in p.nodes if m.actual is None and items(m.node)), None)
        return items(m.node)[0] if m else None

    def _pending(self, tag: str, over) -> tuple[Project, str, int, int, date]:
        """A pre-start project whose open item has been pending `over(limit)` working days
        beyond its limit; its decided items as usual. (project, item, limit, over, accepted)"""
        w = self.w
        p = self.project("pre_start", tag, accept=lambda p: self._open_item(p) is not None)
        item = self._open_item(p)
        limit = w.refs.limit(item)
        beyond = over(limit)
        accepted = accepted_for(self.a, limit + beyond)
        p.approvals = [x for x in w.approvals_for(p) if x.decided_on is not None]
        p.approvals.append(
            Approval(p.code, p.name, p.credit_code, item, accepted, None, None, p.investment)
        )
        return p, item, limit, beyond, accepted

    def approval_overdue(self) -> None:
        rng = self.rng
        # Yellow: over the limit, at most twice it; red: over twice the limit.
        for grade, over in (
            ("yellow", lambda limit: rng.randint(1, limit)),
            ("red", lambda limit: limit + rng.randint(1, 10)),
        ):
            p, item, limit, beyond, accepted = self._pending("approval_overdue", over)
            self.exp.warning(
                "approval_overdue",
                grade,
                project_code=p.code,
                delay_days=beyond,
                item=item,
                accepted_on=accepted,
                working_days=limit + beyond,
                limit_working_days=limit,
                note="working days per the State Council calendar (chinese_calendar)",
            )

    def unknown_carriers(self) -> None:
        w, exp, k = self.w, self.exp, self.k
        name = UNKNOWN_REGISTRY_CARRIERS[k % len(UNKNOWN_REGISTRY_CARRIERS)]
        p = self.project("pre_start", "unknown_carrier")
        p.carrier = name
        exp.gap("unknown_carrier", carrier=name, note=f"registry project {p.code}")
        name = UNKNOWN_TAX_CARRIERS[k % len(UNKNOWN_TAX_CARRIERS)]
        idx = 20 + k
        w.enterprises.carriers[idx] = name
        exp.gap(
            "unknown_carrier",
            carrier=name,
            note=f"tax rows of {w.enterprises.codes[idx]} every month of the TTM window",
        )

    def promotion_negatives(self) -> None:
        w, a, exp, rng = self.w, self.a, self.exp, self.rng
        ent, cal = w.enterprises, w.cal
        for case, signed, intended, code in (
            ("lead signed exactly 90 days before as_of", a - _days(90), 20000.0, ent.codes[50]),
            ("signed lead below 10000 万元", a - _days(200), 9900.0, ent.codes[51]),
        ):
            x = lead(
                w,
                rng,
                first_contact=signed - _days(90),
                intended=intended,
                signed=signed,
                credit_code=code,
                tag="negative",
            )
            exp.negative(
                case,
                "unregistered_signed_lead",
                f"签约 {signed}, {intended:.0f} 万元",
                credit_code=code,
                lead_id=x.lead_id,
            )
        host = next(
            p for p in reversed(w.projects) if p.clean and p.registered_at(a) and p.left_on is None
        )
        x = lead(
            w,
            rng,
            first_contact=a - _days(400),
            intended=round(host.investment, -2),
            signed=a - _days(200),
            credit_code=host.credit_code,
            tag="negative",
        )
        exp.negative(
            "signed lead without project code, matched by credit_code",
            "unregistered_signed_lead",
            f"credit_code of library project {host.code}",
            credit_code=host.credit_code,
            lead_id=x.lead_id,
        )
        x = lead(
            w,
            rng,
            first_contact=a - _days(180),
            intended=30000.0,
            credit_code=ent.codes[52],
            tag="negative",
        )
        exp.negative(
            "in talks exactly 180 days",
            "lead_stalled",
            f"first contact {x.first_contact}",
            credit_code=ent.codes[52],
            lead_id=x.lead_id,
        )
        left_on = cal.fridays[-3] if len(cal.fridays) >= 3 else cal.fridays[-1]
        x = lead(
            w,
            rng,
            first_contact=a - _days(400),
            intended=30000.0,
            credit_code=ent.codes[53],
            left_on=left_on,
            tag="negative",
        )
        exp.event("left_leads", feed="leads", key=x.lead_id, left_on=left_on)
        exp.negative(
            "a lead in talks 400 days that left the ledger",
            "lead_stalled",
            f"absent from the snapshots from {left_on}",
            credit_code=ent.codes[53],
            lead_id=x.lead_id,
        )
        p, item, limit, _, accepted = self._pending("negative", lambda limit: 0)
        exp.negative(
            "pending approval at exactly its limit",
            "approval_overdue",
            f"{item} accepted {accepted}: {limit} working days",
            project_code=p.code,
        )
        # A tax row naming an unknown carrier, but for a month before the TTM window.
        period = add_months(cal.latest_tax_month(), -13)
        self.extras.append(
            Extra(
                "tax",
                cal.start,
                {
                    "credit_code": ent.codes[30],
                    "taxpayer_name": ent.names[30],
                    "period": period,
                    "tax_type": "房产税",
                    "amount_yuan": 5200.0,
                    "paid_on": add_months(period, 1).replace(day=10),
                    "street_code": ent.streets[30],
                    "carrier": OLD_CARRIER,
                },
            )
        )
        exp.negative(
            "unknown carrier named only before the TTM window",
            "unknown_carrier",
            f"{OLD_CARRIER}: tax for {period:%Y-%m}",
            credit_code=ent.codes[30],
            carrier=OLD_CARRIER,
        )

    def promotion_bad_rows(self) -> None:
        w, a = self.w, self.a
        ent, cal = w.enterprises, w.cal
        streets, industries = w.refs.streets, w.refs.industries
        base = {
            "project_name": "智慧物流园项目",
            "investor": "上海远航投资集团有限公司",
            "credit_code": None,
            "sourcing_unit": "zsj",
            "street_code": streets[1 % len(streets)],
            "industry": industries[0],
            "intended_investment": 30000.0,
            "stage": "在谈",
            "first_contact_on": self.mid - _days(60),
            "signed_on": None,
            "project_code": None,
        }
        for n, (reason, over) in enumerate(
            (
                ("unknown_code_value", {"lead_id": f"ZS{a.year % 100}-0099"}),
                ("unknown_code_value", {"sourcing_unit": "市招商中心"}),
                ("missing_required", {"stage": "签约"}),
                ("unknown_code_value", {"stage": "洽谈中"}),
                ("invalid_number", {"intended_investment": "0"}),
            )
        ):
            values = {**base, "lead_id": f"ZS{a.year}-9{n:03d}", **over}
            self.bad("leads", reason, values)
        quarter, first = cal.carrier_days[0]
        carrier = {
            "aliases": None,
            "carrier_kind": "园区",
            "street_code": streets[2 % len(streets)],
            "build_status": "建成",
            "total_area_m2": 50000.0,
            "usable_area_m2": 20000.0,
            "occupied_area_m2": 12000.0,
            "investment_completed": 8000.0,
            "brand_level": None,
            "period": quarter,
        }
        for reason, over in (
            ("unknown_code_value", {"carrier_name": "港闸物流园", "carrier_kind": "厂房"}),
            ("unknown_code_value", {"carrier_name": "幸福物流园", "build_status": "已建"}),
            ("unknown_code_value", {"carrier_name": "秦灶创业园", "brand_level": "区级"}),
            ("invalid_number", {"carrier_name": "天生港仓储地块", "total_area_m2": "0"}),
        ):
            self.bad("carriers", reason, {**carrier, **over}, on=first)
        last = cal.hitech_days[-1]
        good = ent.codes[8]
        cert = {
            "credit_code": good,
            "enterprise_name": ent.names[8],
            "certificate_no": f"GR{last.year}32900001",
            "certified_on": last - _days(5),
            "valid_until": add_months(last, 36),
        }
        wrong = good[:17] + ("0" if good[17] != "0" else "1")
        self.bad("hitech", "invalid_credit_code", {**cert, "credit_code": wrong}, on=last)
        self.bad("hitech", "missing_required", {**cert, "certificate_no": None}, on=last)
