"""Every delivery of every feed, derived from the world, written file by file."""

from __future__ import annotations

import random
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

from ingest.feeds.contracts import FEEDS
from projledger.generate.calendar import (
    add_months,
    first_on_or_after,
    month_end,
    month_start,
    months_from,
    tax_due,
)
from projledger.generate.expected import Expected
from projledger.generate.problems import Extra
from projledger.generate.promotion import carrier_row
from projledger.generate.world import (
    COMPLETION,
    PRODUCTION,
    START,
    TAX_SHARES,
    TAX_TYPES,
    Project,
    World,
    fai_months,
)
from projledger.generate.writers import FeedWriter, Special, Style

EXT = {"csv": "csv", "xlsx": "xlsx", "jsonl": "jsonl"}
TAX_OFFICE = "国家税务总局南通市崇川区税务局"


class Deliverer:
    def __init__(
        self, out: Path, world: World, extras: list[Extra], exp: Expected, seed: int, scale: float
    ):
        self.out, self.w, self.exp, self.seed, self.scale = out, world, exp, seed, scale
        self.cal = world.cal
        self.extras: dict[str, list[Extra]] = defaultdict(list)
        for e in extras:
            self.extras[e.feed].append(e)
        self.files: dict[str, int] = defaultdict(int)
        self.rows: dict[str, int] = defaultdict(int)
        self.styles: dict[str, list[dict]] = defaultdict(list)
        self.projects = sorted(world.projects, key=lambda p: (p.registered_on, p.code))

    # --- plumbing ----------------------------------------------------------------------
    def rng(self, *parts) -> random.Random:
        return random.Random("|".join(str(p) for p in (self.seed, *parts)))

    def path(self, feed: str, d: date, seq: int, fmt: str) -> Path:
        suffix = f"_{seq}" if seq else ""
        return self.out / feed / f"{d:%Y%m%d}{suffix}.{EXT[fmt]}"

    def write(
        self,
        feed: str,
        d: date,
        style: Style,
        rows: Iterable,
        seq: int = 0,
        prev: date | None = None,
        columns: tuple[int, ...] | None = None,
    ) -> Path:
        path = self.path(feed, d, seq, style.fmt)
        writer = FeedWriter(path, FEEDS[feed], style)
        mine = [e for e in self.extras[feed] if (prev is None or e.on > prev) and e.on <= d]
        n = 0
        for row in rows:
            writer.write(row)
            n += 1
            if n == 2 and mine:
                for e in mine:
                    writer.write(self.special(feed, e, d))
                mine = []
        for e in mine:
            writer.write(self.special(feed, e, d))
        self.rows[feed] += writer.close()
        self.files[feed] += 1
        self.styles[feed].append({"file": f"{feed}/{path.name}", **style.describe()})
        return path

    def special(self, feed: str, e: Extra, d: date) -> Special:
        values = dict(e.values)
        if feed == "milestones" and values.get("reported_on") is None:
            values["reported_on"] = d
        row = tuple(values.get(col.name) for col in FEEDS[feed].columns)
        return Special(row, e.record, e.status)

    def style(self, feed: str, d: date, fmt: str, **fixed) -> Style:
        r = self.rng(feed, d)
        ncols = len(FEEDS[feed].columns)
        order = None
        if r.random() < fixed.pop("shuffle", 0.2):
            order = list(range(ncols))
            r.shuffle(order)
            order = tuple(order)
        enc = r.choices(("utf-8", "utf-8-sig", "gb18030"), weights=(4, 3, 3))[0]
        dates = (
            ("iso", "slash", "zh", "compact", "serial")
            if fmt == "csv"
            else (("iso", "slash", "cell", "cell") if fmt == "xlsx" else ("iso", "slash"))
        )
        extra = fixed.pop("extra", None)
        always = fixed.pop("always", ())
        kw = dict(
            fmt=fmt,
            encoding=enc,
            headers="zh" if r.random() < 0.85 else "en",
            date_fmt=r.choice(dates),
            period_fmt=r.choice(("dash", "compact", "zh")),
            thousands=r.random() < 0.3,
            order=order,
            extra=always + ((extra,) if extra and r.random() < 0.35 else ()),
        )
        kw.update(fixed)
        return Style(**kw)

    # --- all feeds ---------------------------------------------------------------------
    def run(self) -> None:
        self.registry()
        self.milestones()
        self.approvals()
        self.land()
        self.stats_fai()
        self.stats_enterprise()
        self.stats_gdp()
        self.tax()
        self.leads()
        self.carriers()
        self.hitech()

    # --- registry: weekly full snapshot ------------------------------------------------
    def registry(self) -> None:
        prev = None
        for d in self.cal.mondays:
            rows = (
                (
                    p.code,
                    p.name_on(d),
                    p.credit_code,
                    p.street,
                    p.industry,
                    p.kind,
                    p.carrier or None,
                    p.investment,
                    p.planned(START),
                    p.planned(COMPLETION),
                    p.planned(PRODUCTION),
                    p.registered_on,
                    p.committed_tax,
                )
                for p in self.projects
                if p.registered_at(d)
            )
            # The export date makes each snapshot's bytes unique even in a week without change.
            style = self.style(
                "registry",
                d,
                "xlsx",
                extra=("联系人", "项目办"),
                always=(("导出日期", d.isoformat()),),
            )
            self.write("registry", d, style, rows, prev=prev)
            prev = d

    # --- milestones: weekly, by Monday -------------------------------------------------
    def milestones(self) -> None:
        mondays = self.cal.mondays
        dup_at = mondays[len(mondays) // 3] if len(mondays) > 3 else None
        for k, d in enumerate(mondays):
            prev = mondays[k - 1] if k else None
            path = self.write(
                "milestones",
                d,
                self.style("milestones", d, "csv", extra=("填报人", "街道经发科")),
                self._milestone_rows(d, prev),
                prev=prev,
            )
            if d == dup_at:
                twin = self.path("milestones", d, 2, "csv")
                shutil.copyfile(path, twin)
                self.files["milestones"] += 1
                self.exp.duplicate_files.append(
                    {
                        "feed": "milestones",
                        "file": f"milestones/{twin.name}",
                        "duplicate_of": f"milestones/{path.name}",
                    }
                )

    def _milestone_rows(self, d: date, prev: date | None) -> Iterator[tuple]:
        for p in self.projects:
            if not p.registered_at(d) or p.no_milestones:
                continue
            if p.report_until and d > p.report_until:
                continue
            if prev is None or not p.registered_at(prev):
                for m in p.nodes:
                    done = m.actual is not None and m.actual <= d
                    yield (
                        p.code,
                        m.node,
                        m.planned,
                        m.actual if done else None,
                        d,
                        "已完成" if done else "",
                    )
                continue
            produced = p.actual(PRODUCTION)
            if produced is not None and produced <= prev:
                continue
            for m in p.nodes:
                if m.actual is not None and prev < m.actual <= d:
                    yield (p.code, m.node, m.planned, m.actual, d, "已完成")
            nxt = next((m for m in p.nodes if m.actual is None or m.actual > d), None)
            if nxt is not None:
                yield (
                    p.code,
                    nxt.node,
                    nxt.planned,
                    None,
                    d,
                    "滞后" if nxt.planned < d else "正常推进",
                )

    # --- approvals: working days (weekly before the last six weeks) --------------------
    def approvals(self) -> None:
        days, start = self.cal.approval_days, self.cal.start
        out: dict[date, list] = defaultdict(list)

        def day(x: date) -> date | None:
            return first_on_or_after(days, max(x, start))

        every = [a for p in self.projects for a in p.approvals] + self.w.approvals
        for a in every:
            row = (
                a.project_code,
                a.project_name,
                a.credit_code,
                a.item,
                a.accepted_on,
                a.decided_on,
                a.result,
                a.total_investment,
            )
            acc = day(a.accepted_on)
            dec = day(a.decided_on) if a.decided_on else None
            if acc and (dec is None or dec != acc):
                out[acc].append(row[:5] + (None, None, row[7]))
            if dec:
                out[dec].append(row)
            if a.void_on and (v := day(a.void_on)):
                out[v].append(Special(row, status="void"))
        prev, last = None, None
        for d in days:
            # A push never comes empty: on a quiet day the last decision is re-sent unchanged.
            rows = out.get(d) or ([last] if last else [])
            last = next((r for r in reversed(rows) if not isinstance(r, Special)), last)
            style = self.style(
                "approvals",
                d,
                "jsonl",
                headers="en",
                shuffle=0.0,
                always=(("pushed_at", f"{d.isoformat()}T02:00:00"),),
            )
            self.write("approvals", d, style, rows, prev=prev)
            prev = d

    # --- land: weekly (Thursdays), parcels changed that week ---------------------------
    def land(self) -> None:
        days, start = self.cal.thursdays, self.cal.start
        out: dict[date, list] = defaultdict(list)

        def day(x: date | None) -> date | None:
            return first_on_or_after(days, max(x, start)) if x else None

        def row(q, d: date) -> tuple:
            known = lambda x: x if x is not None and x <= d else None  # noqa: E731
            return (
                q.parcel_no,
                q.project_code,
                q.credit_code,
                q.street,
                q.land_use,
                q.area_m2,
                q.signed,
                q.price,
                q.agreed_start,
                q.agreed_completion,
                known(q.actual_start),
                known(q.actual_completion),
            )

        for q in sorted(self.w.parcels, key=lambda q: (q.signed, q.parcel_no)):
            for d in sorted(
                {x for x in (day(q.signed), day(q.actual_start), day(q.actual_completion)) if x}
            ):
                if q.void_on is None or d < day(q.void_on):
                    out[d].append(row(q, d))
            if (v := day(q.void_on)) is not None:
                out[v].append(Special(row(q, v), status="作废"))
        prev, last = None, None
        for d in days:
            # A quiet week re-sends the last changed parcel unchanged (never an empty file).
            rows = out.get(d) or ([last] if last else [])
            last = next((r for r in reversed(rows) if not isinstance(r, Special)), last)
            style = self.style(
                "land",
                d,
                "xlsx",
                status_col=True,
                shuffle=0.3,
                always=(("导出日期", d.isoformat()),),
            )
            self.write("land", d, style, rows, prev=prev)
            prev = d

    # --- stats_fai: monthly by day 10 --------------------------------------------------
    def _monthly(self, feed: str, lo: int, hi: int) -> list[tuple[date, date]]:
        """(month, delivery date) of every delivery in the history, oldest first."""
        out = []
        for m in months_from(add_months(self.cal.start, -1), self.cal.as_of):
            d = add_months(m, 1).replace(day=self.rng(feed, m).randint(lo, hi))
            if self.cal.start <= d <= self.cal.as_of:
                out.append((m, d))
        return out

    @staticmethod
    def cumulative(p: Project, m: date) -> float:
        ps, pc = p.planned(START), p.planned(COMPLETION)
        span = max(1, (pc - ps).days)
        eom = month_end(m)
        if p.fai_ratio is not None:
            return round(p.investment * p.fai_ratio * min(1.0, max(0.0, (eom - ps).days / span)), 2)
        frac = min(1.0, max(0.0, (eom - p.actual(START)).days / span))
        return round(p.investment * p.fai_factor * frac, 2)

    def fai_row(self, p: Project, m: date) -> tuple:
        cum = self.cumulative(p, m)
        before = 0.0 if m == month_start(p.actual(START)) else self.cumulative(p, add_months(m, -1))
        return (p.code, m, round(cum - before, 2), cum)

    def stats_fai(self) -> None:
        deliveries = self._monthly("stats_fai", 2, 9)
        started = [p for p in self.projects if p.actual(START)]
        built = {p.code: set(fai_months(p, self.cal.as_of)) for p in started}
        resend_at = deliveries[len(deliveries) // 2][0] if len(deliveries) > 2 else None
        prev = None
        for i, (m, d) in enumerate(deliveries):
            months = months_from(add_months(m, -120), m) if i == 0 else [m]

            def rows(months=months, m=m, d=d) -> Iterator:
                for x in months:
                    for p in started:
                        if x in built[p.code] and x not in p.fai_skip:
                            yield self.fai_row(p, x)
                if m == resend_at:
                    last = add_months(m, -1)
                    p = next(
                        (
                            p
                            for p in started
                            if p.clean and last in built[p.code] and last not in p.fai_skip
                        ),
                        None,
                    )
                    if p is not None:
                        self.exp.event(
                            "resent_unchanged",
                            feed="stats_fai",
                            key=f"{p.code}|{last}",
                            file=f"stats_fai/{d:%Y%m%d}.csv",
                        )
                        yield self.fai_row(p, add_months(m, -1))

            style = self.style("stats_fai", d, "csv")
            self.write("stats_fai", d, style, rows(), prev=prev)
            prev = d

    # --- stats_enterprise: monthly by day 10 -------------------------------------------
    def stats_enterprise(self) -> None:
        ent = self.w.enterprises
        deliveries = self._monthly("stats_enterprise", 2, 9)
        reject_at = deliveries[len(deliveries) // 2][0] if len(deliveries) > 2 else None
        feed = FEEDS["stats_enterprise"]
        period_idx = [c.name for c in feed.columns].index("period")
        prev = None
        for m, d in deliveries:

            def rows(m=m) -> Iterator[tuple]:
                r = self.rng("stats_enterprise", "values", m)
                for i in ent.above_scale:
                    out = round(ent.base_yuan[i] * r.uniform(0.3, 0.5), 2)
                    yield (ent.codes[i], m, out, round(out * r.uniform(1.0, 1.3), 2), "是")
                for p in self.projects:
                    prod = p.actual(PRODUCTION)
                    if prod is None or prod > month_end(m):
                        continue
                    age = (m.year - prod.year) * 12 + m.month - prod.month
                    out = round(p.investment * r.uniform(0.04, 0.08), 2)
                    yield (p.credit_code, m, out, round(out * 1.1, 2), "是" if age >= 6 else "否")

            style = self.style("stats_enterprise", d, "csv", shuffle=0.5)
            if m == reject_at:
                order = tuple(
                    i for i in (style.order or range(len(feed.columns))) if i != period_idx
                )
                bad = Style(**{**style.__dict__, "order": order})
                path = self.write("stats_enterprise", d, bad, rows(), prev=prev)
                self.exp.rejected_files.append(
                    {
                        "feed": "stats_enterprise",
                        "file": f"stats_enterprise/{path.name}",
                        "reason": "missing required header",
                        "missing": ["period (统计期)"],
                    }
                )
                self.write("stats_enterprise", d, style, rows(), seq=2, prev=prev)
            else:
                self.write("stats_enterprise", d, style, rows(), prev=prev)
            prev = d

    # --- stats_gdp: quarterly, by day 20 of the next month -----------------------------
    def stats_gdp(self) -> None:
        a, scale = self.cal.as_of, self.scale
        quarters = [m for m in months_from(add_months(self.cal.start, -3), a) if m.month % 3 == 0]
        due = [q for q in quarters if add_months(q, 1).replace(day=20) <= a]
        withheld = due[-1] if due else None
        shares = {3: 0.23, 6: 0.48, 9: 0.74, 12: 1.0}

        def annual(y: int) -> float:
            return 13_500_000 * scale * 1.055 ** (y - 2024)

        for q in due:
            d = add_months(q, 1).replace(day=self.rng("stats_gdp", q).randint(14, 20))
            if not (self.cal.start <= d <= a):
                continue
            if q == withheld:
                self.exp.gap(
                    "missing_feed",
                    feed="stats_gdp",
                    note=f"{q:%Y-%m} quarter due {add_months(q, 1).replace(day=20)} "
                    "never delivered",
                )
                continue
            share = shares[q.month]
            gdp = round(annual(q.year) * share, 2)
            fai = round((annual(q.year) - annual(q.year - 1)) / 0.17 * share, 2)
            style = Style("csv", encoding="utf-8", headers="en", period_fmt="dash")
            self.write("stats_gdp", d, style, [(q, gdp, fai)])

    # --- tax: monthly by day 20 --------------------------------------------------------
    def project_tax(self, p: Project, m: date) -> list[tuple]:
        """The rows of one project enterprise for month m (empty when it pays none)."""
        prod = p.actual(PRODUCTION)
        reg_month = month_start(p.registered_on)
        carrier, total = p.carrier, 0.0
        if (prod is None or m < month_start(prod)) and (
            p.tax_before is None or m < add_months(reg_month, -12)
        ):
            return []
        r = self.rng("tax", p.code, m)
        if prod is not None and m >= month_start(prod):
            if m in p.tax_skip:
                return []
            if p.committed_tax and p.parcel is not None:
                total = p.committed_tax * p.parcel.mu * p.tax_ratio * 10000 / 12
                if p.tax_ratio >= 1:
                    total *= r.uniform(1.0, 1.15)
            else:
                total = p.investment * r.uniform(0.002, 0.004) * 10000
        elif p.tax_before is not None and add_months(reg_month, -12) <= m:
            carrier = p.tax_before if m < reg_month else p.carrier
            total = r.uniform(20, 90) * 10000
        if total <= 0:
            return []
        paid = add_months(m, 1).replace(day=r.randint(1, 15))
        return [
            (
                p.credit_code,
                p.company,
                m,
                TAX_TYPES[k],
                round(total * TAX_SHARES[k] / 0.9, 2),
                paid,
                p.street,
                carrier or None,
            )
            for k in range(3)
        ]

    def tax(self) -> None:
        ent = self.w.enterprises
        deliveries = self._monthly("tax", 11, 19)
        correct_at = deliveries[len(deliveries) // 2][0] if len(deliveries) > 2 else None
        payers = [
            p for p in self.projects if p.actual(PRODUCTION) is not None or p.tax_before is not None
        ]
        prev = None
        for i, (m, d) in enumerate(deliveries):
            assert tax_due(m) >= d
            months = months_from(add_months(m, -120), m) if i == 0 else [m]

            def rows(months=months, m=m, d=d) -> Iterator[tuple]:
                for x in months:
                    for p in payers:
                        yield from self.project_tax(p, x)
                if m == correct_at:
                    yield from self._correction(payers, m, d)
                r = self.rng("tax", "ordinary", m)
                rnd = r.random
                codes, names, streets, carriers, base = (
                    ent.codes,
                    ent.names,
                    ent.streets,
                    ent.carriers,
                    ent.base_yuan,
                )
                paid = [add_months(m, 1) + timedelta(days=k) for k in range(15)]
                for j in range(len(codes)):
                    b = base[j]
                    for k in range(2 + j % 3):
                        x = rnd()
                        amount = round(b * TAX_SHARES[k] * (0.8 + 0.4 * x), 2)
                        if x < 0.004:
                            amount = -round(amount * 0.3, 2)  # a refund
                        yield (
                            codes[j],
                            names[j],
                            m,
                            TAX_TYPES[k],
                            amount,
                            paid[(j + k) % 15],
                            streets[j],
                            carriers[j] or None,
                        )

            style = self.style(
                "tax",
                d,
                "csv",
                headers="zh",
                extra=("征收机关", TAX_OFFICE),
                shuffle=0.1,
                thousands=self.rng("tax-thousands", d).random() < 0.5,
                encoding=self.rng("tax-enc", d).choices(
                    ("gb18030", "utf-8-sig", "utf-8"), weights=(6, 3, 1)
                )[0],
            )
            self.write("tax", d, style, rows(), prev=prev)
            prev = d

    def _correction(self, payers: list[Project], m: date, d: date) -> Iterator[tuple]:
        last = add_months(m, -1)
        p = next(
            (
                p
                for p in payers
                if p.clean
                and p.tax_ratio >= 1
                and p.actual(PRODUCTION)
                and month_start(p.actual(PRODUCTION)) < last
            ),
            None,
        )
        if p is None:
            return
        old = self.project_tax(p, last)[0]
        new = old[:4] + (round(old[4] * 1.1, 2),) + old[5:]
        self.exp.event(
            "corrections",
            feed="tax",
            key=f"{p.credit_code}|{last}|{old[3]}",
            field="amount_yuan",
            old=old[4],
            new=new[4],
            from_delivery=d,
            file=f"tax/{d:%Y%m%d}.csv",
        )
        yield new

    # --- leads: weekly (Fridays), full snapshot ----------------------------------------
    def leads(self) -> None:
        leads = sorted(self.w.leads, key=lambda x: x.lead_id)
        prev = None
        for d in self.cal.fridays:
            rows = (x.row_at(d) for x in leads if x.listed_at(d))
            fmt = "xlsx" if self.rng("leads-fmt", d).random() < 0.4 else "csv"
            # The export time makes each snapshot's bytes unique even in a week without change.
            style = self.style(
                "leads", d, fmt, extra=("填报人", "招商局"), always=(("导出日期", d.isoformat()),)
            )
            self.write("leads", d, style, rows, prev=prev)
            prev = d

    # --- carriers: quarterly full list, by day 15 of the month after the quarter -------
    def carriers(self) -> None:
        carriers = self.w.carriers
        prev = None
        for quarter, d in self.cal.carrier_days:
            fmt = "csv" if self.rng("carriers-fmt", d).random() < 0.5 else "xlsx"
            style = self.style("carriers", d, fmt, extra=("备注", "季度更新"))
            self.write("carriers", d, style, (carrier_row(c, quarter) for c in carriers), prev=prev)
            prev = d

    # --- hitech: certificates as they are issued ---------------------------------------
    def hitech(self) -> None:
        days = self.cal.hitech_days
        out: dict[date, list] = defaultdict(list)
        for c in sorted(self.w.certificates, key=lambda c: (c.certified_on, c.number)):
            d = first_on_or_after(days, c.certified_on)
            if d is not None:
                out[d].append((c.credit_code, c.name, c.number, c.certified_on, c.valid_until))
        prev = None
        for d in days:
            fmt = self.rng("hitech-fmt", d).choice(("csv", "jsonl", "xlsx"))
            style = self.style("hitech", d, fmt, headers="zh" if fmt != "jsonl" else "en")
            self.write("hitech", d, style, out.get(d, []), prev=prev)
            prev = d
