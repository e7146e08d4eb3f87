"""The promotion loop's clean world (招商 → 审批 → 载体): the district's carriers, the leads that
became its library projects or are still being worked, and high-tech certificates. Injected
problems live in problems.py; nothing built here may trigger a rule."""

from __future__ import annotations

import random
from datetime import date, timedelta

from projledger.generate.calendar import add_months
from projledger.generate.world import (
    BUILDINGS,
    PARKS,
    PRODUCTION,
    START,
    Carrier,
    Certificate,
    Lead,
    World,
)

BUILT, BUILDING, PLANNED = "建成", "在建", "待建"
# The seed document's district totals (m²): count, total area, usable area of built ones.
SEED_FIGURES = {
    BUILT: (49, 1_750_000, 780_000),
    BUILDING: (18, 990_000, None),
    PLANNED: (13, 800_000, None),
}
# Built carriers the registry and tax feeds name, with the aliases the carriers list gives
# them (separated by ; or ；, one alias itself written in full-width characters).
ALIASES = {
    "紫琅科技城": "紫琅科技园；紫琅科创园",
    "崇川科创大厦": "科创大厦;崇川科创楼",
    "金融汇大厦": "ＣＢＤ金融汇",
    "南通国际贸易中心": "国贸中心； 南通国贸中心",
}
ASCII_NAMED = (
    ("1895文化创意产业园", "园区"),
    ("崇川科创大厦B座", "楼宇"),
    ("南通创新区(二期)", "园区"),
)
# How clean registry projects name some carriers: an alias, or the name with full-width
# digits, letters and brackets (names are compared after folding them).
VARIANTS = (
    ("紫琅科技城", "紫琅科技园"),
    ("1895文化创意产业园", "１８９５文化创意产业园"),
    ("金融汇大厦", "CBD金融汇"),
    ("崇川科创大厦B座", "崇川科创大厦Ｂ座"),
    ("崇川科创大厦", "崇川科创楼"),
    ("南通创新区(二期)", "南通创新区（二期）"),
    ("南通国际贸易中心", "南通国贸中心"),
)
SUFFIXES = {
    BUILT: (("科技园", "园区"), ("双创中心", "楼宇"), ("智造园", "园区"), ("总部大厦", "楼宇")),
    BUILDING: (("数字产业园", "园区"), ("科创综合体", "楼宇")),
    PLANNED: (("片区产业地块", "地块"),),
}
BRANDS = ("国家级", "省级", "市级")
INVESTED_PER_M2 = {BUILT: 0.35, BUILDING: 0.1, PLANNED: 0.0}  # 万元 per m² so far
LEAD_WHAT = ("新能源项目", "智能装备项目", "生物医药项目", "总部项目", "数字经济项目", "新材料项目")


def _split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that sum exactly to total."""
    s = sum(weights)
    out = [int(total * w / s) for w in weights]
    out[out.index(max(out))] += total - sum(out)
    return out


def build_carriers(w: World, rng: random.Random) -> None:
    """The full carriers list, its district totals exactly the seed's figures."""
    short = [n.removesuffix("街道").removesuffix("镇") for n in w.refs.street_names] or ["崇川"]
    named = [(n, "园区") for n in PARKS] + [(n, "楼宇") for n in BUILDINGS] + list(ASCII_NAMED)
    plan: dict[str, list[tuple[str, str]]] = {BUILT: list(named), BUILDING: [], PLANNED: []}
    taken = {n for n, _ in named}
    k = 0
    for status, (count, _, _) in SEED_FIGURES.items():
        suffixes = SUFFIXES[status]
        while len(plan[status]) < count:
            name = f"{short[k % len(short)]}{suffixes[(k // len(short)) % len(suffixes)][0]}"
            kind = suffixes[(k // len(short)) % len(suffixes)][1]
            k += 1
            if name not in taken:
                taken.add(name)
                plan[status].append((name, kind))
    streets = w.refs.streets
    for status, (_count, total, usable) in SEED_FIGURES.items():
        members = plan[status]
        areas = _split(total, [rng.uniform(0.4, 1.6) for _ in members])
        lettable = _split(usable, [a * rng.uniform(0.35, 0.55) for a in areas]) if usable else None
        for i, (name, kind) in enumerate(members):
            area = areas[i]
            use = lettable[i] if lettable else None
            w.carriers.append(
                Carrier(
                    name=name,
                    aliases=ALIASES.get(name, ""),
                    kind=kind,
                    street=streets[(i * 5 + len(name)) % len(streets)],
                    status=status,
                    total=area,
                    usable=use,
                    occupied=round(use * rng.uniform(0.55, 0.9)) if use else None,
                    investment=round(area * INVESTED_PER_M2[status] * rng.uniform(0.8, 1.2), -1),
                    brand=BRANDS[i % 3] if status == BUILT and i % 4 == 0 else None,
                )
            )


def carrier_row(c: Carrier, quarter: date) -> tuple:
    """The carrier as its quarter's list shows it: occupancy creeps up quarter by quarter."""
    q = quarter.year * 4 + quarter.month // 3
    occupied = None
    if c.occupied is not None and c.usable:
        occupied = float(min(c.usable, round(c.occupied * (1 + 0.01 * (q % 8)))))
    invest = round(c.investment * (1 + 0.02 * (q % 8)), 2) if c.investment else None
    return (
        c.name,
        c.aliases or None,
        c.kind,
        c.street,
        c.status,
        float(c.total),
        float(c.usable) if c.usable is not None else None,
        occupied,
        invest,
        c.brand,
        quarter,
    )


def name_carriers(w: World) -> None:
    """Some clean library projects name their carrier by an alias or in full-width form."""
    cands = [
        p
        for p in sorted(w.projects, key=lambda p: p.code)
        if p.clean and p.in_registry and p.left_on is None and p.tax_before is None
    ]
    for i, p in enumerate(cands[1::4]):
        p.carrier = VARIANTS[i % len(VARIANTS)][1]


def _unit(w: World, rng: random.Random, street: str) -> str:
    x = rng.random()
    if x < 0.5:
        return "zsj"
    if x < 0.8:
        return street
    return rng.choice([s for s in w.refs.streets if s != street] or [street])


def lead(
    w: World,
    rng: random.Random,
    *,
    first_contact: date,
    intended: float,
    tag: str = "",
    **kw,
) -> Lead:
    """A lead with its id from the year of first contact; kw sets the other fields."""
    ent = w.enterprises
    i = rng.randrange(len(ent.names))
    street = kw.pop("street", rng.choice(w.refs.streets))
    out = Lead(
        lead_id=w.lead_id(first_contact.year),
        project_name=kw.pop("project_name", f"{ent.names[i][2:4]}{rng.choice(LEAD_WHAT)}"),
        investor=kw.pop("investor", ent.names[i].replace("南通", "江苏", 1)),
        credit_code=kw.pop("credit_code", None),
        sourcing_unit=kw.pop("sourcing_unit", _unit(w, rng, street)),
        street=street,
        industry=kw.pop("industry", rng.choice(w.refs.industries)),
        intended=intended,
        first_contact=first_contact,
        **kw,
    )
    if tag:
        out.tags.append(tag)
    w.leads.append(out)
    return out


def clean_leads(w: World, rng: random.Random, scale: float) -> None:
    """Leads that raise nothing: landed as library projects, in talks under 180 days, signed
    within the grace period or below 10000 万元, dropped."""
    a, ent = w.cal.as_of, w.enterprises
    landed = [
        p
        for p in sorted(w.projects, key=lambda p: p.code)
        if p.clean and p.registered_at(a) and p.left_on is None
    ]
    for k, p in enumerate(landed[::2]):
        signed = p.registered_on - timedelta(days=rng.randint(20, 120))
        lead(
            w,
            rng,
            first_contact=signed - timedelta(days=rng.randint(30, 400)),
            intended=round(p.investment * rng.uniform(0.8, 1.2), -2),
            project_name=p.name,
            investor=p.company,
            credit_code=p.credit_code,
            street=p.street,
            industry=p.industry,
            signed=signed,
            landed=p.registered_on,
            # Most give the project's code; some match by the investor's credit code only.
            project_code=p.code if k % 3 else None,
        )
    n = max(3, round(25 * scale))
    for _ in range(n):  # in talks, under 180 days
        lead(
            w,
            rng,
            first_contact=a - timedelta(days=rng.randint(3, 175)),
            intended=round(rng.uniform(3000, 80000), -2),
        )
    for i in range(max(2, n // 4)):  # signed within the grace period, not in the library yet
        signed = a - timedelta(days=rng.randint(5, 85))
        lead(
            w,
            rng,
            first_contact=signed - timedelta(days=rng.randint(30, 200)),
            intended=round(rng.uniform(10000, 60000), -2),
            signed=signed,
            credit_code=ent.codes[40 + i] if i % 2 else None,
        )
    for _ in range(max(2, n // 4)):  # signed small projects: below the library's threshold
        signed = a - timedelta(days=rng.randint(100, 300))
        lead(
            w,
            rng,
            first_contact=signed - timedelta(days=rng.randint(30, 200)),
            intended=round(rng.uniform(1000, 9000), -2),
            signed=signed,
        )
    for _ in range(max(2, n // 4)):  # dropped, some long ago
        first = a - timedelta(days=rng.randint(200, 700))
        lead(
            w,
            rng,
            first_contact=first,
            intended=round(rng.uniform(5000, 50000), -2),
            dropped=min(first + timedelta(days=rng.randint(60, 180)), a - timedelta(days=3)),
        )


def certificates(w: World, rng: random.Random) -> None:
    """High-tech certificates of some library enterprises and some ordinary taxpayers, each
    issued a few days before the 科技局 delivery that carries it."""
    ent, days = w.enterprises, w.cal.hitech_days
    holders = [
        (p.credit_code, p.company)
        for p in sorted(w.projects, key=lambda p: p.code)
        if p.in_registry and (p.actual(START) or p.actual(PRODUCTION))
    ][::4]
    holders += [(ent.codes[i], ent.names[i]) for i in range(5, len(ent.codes), 97)]
    for n, (code, name) in enumerate(holders):
        d = days[n % len(days)]
        issued = d - timedelta(days=rng.randint(2, 20))
        w.certificates.append(
            Certificate(
                credit_code=code,
                name=name,
                number=f"GR{issued.year}32{n + 1:06d}",
                certified_on=issued,
                valid_until=add_months(issued, 36) - timedelta(days=1),
            )
        )
