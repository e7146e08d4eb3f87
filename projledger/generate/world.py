"""The district in memory: projects with their milestone plans and actual dates, the
enterprises that pay tax, land parcels and approvals. Every feed is derived from this one
truth, so the feeds agree with each other except where a problem is injected on purpose."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ingest.identifiers import CREDIT_ALPHABET, credit_check_char
from projledger.generate.calendar import Calendar, add_months, month_start
from projledger.generate.refdata import Node, Refs
from projledger.generate.workdays import accepted_for

# Nodes and kinds that rules.md names (the node list itself comes from the seed).
SITE, APPROVAL, LAND, START, COMPLETION, PRODUCTION = "选址", "立项", "征地", "开工", "竣工", "投产"
INDUSTRIAL, SERVICE = "工业", "服务业"
MU_M2 = 666.667
DIVISION = "320602"
# Where firms first registered (characters 3-8 of a credit code): mostly here, some elsewhere.
REG_AREAS = ("320602", "320602", "320602", "320600", "320611", "320612", "310115", "320583")
TAX_TYPES = ("增值税", "企业所得税", "个人所得税", "城市维护建设税", "房产税")
TAX_SHARES = (0.55, 0.25, 0.1, 0.06, 0.04)
PARKS = ("崇川经济开发区", "南通创新区", "紫琅科技城", "市北高新区", "港闸临港产业园")
BUILDINGS = (
    "中南城商务楼",
    "南通国际贸易中心",
    "文峰大世界写字楼",
    "金融汇大厦",
    "崇川科创大厦",
    "南大街创意园",
)
NAME_A = (
    "华",
    "通",
    "瑞",
    "恒",
    "泰",
    "鑫",
    "润",
    "锦",
    "盛",
    "嘉",
    "宏",
    "海",
    "江",
    "启",
    "新",
    "天",
    "中",
    "德",
    "信",
    "博",
    "远",
    "安",
    "联",
    "汇",
    "创",
    "力",
    "金",
    "元",
    "明",
    "达",
)
NAME_B = (
    "科",
    "源",
    "业",
    "和",
    "达",
    "成",
    "辰",
    "祥",
    "晟",
    "丰",
    "航",
    "宇",
    "峰",
    "诚",
    "越",
    "星",
    "泽",
    "迈",
    "凯",
    "图",
)
NAME_C = (
    "科技",
    "电子",
    "机械",
    "新材料",
    "智能装备",
    "贸易",
    "信息技术",
    "纺织",
    "医药",
    "网络科技",
    "商务服务",
    "文化传媒",
    "供应链管理",
    "精密制造",
    "船舶配套",
    "物流",
)
NAME_D = ("有限公司", "股份有限公司", "有限责任公司")
PROJECT_WHAT = {
    INDUSTRIAL: (
        "智能制造基地",
        "新材料生产线",
        "高端装备产业园",
        "精密零部件项目",
        "新能源电池项目",
        "生物医药产业化项目",
        "船舶海工配套项目",
    ),
    SERVICE: (
        "总部经济项目",
        "数字经济产业园",
        "跨境电商中心",
        "金融科技中心",
        "服务外包基地",
        "文化创意街区",
        "软件研发中心",
    ),
}


@dataclass
class Milestone:
    node: str
    seq: int
    planned: date
    actual: date | None = None


@dataclass
class Parcel:
    parcel_no: str
    project_code: str | None
    credit_code: str
    street: str
    land_use: str
    area_m2: float
    signed: date
    price: float
    agreed_start: date
    agreed_completion: date
    actual_start: date | None = None
    actual_completion: date | None = None
    void_on: date | None = None  # retracted (状态 作废) in the first delivery on or after

    @property
    def mu(self) -> float:
        return self.area_m2 / MU_M2


@dataclass
class Approval:
    project_code: str
    project_name: str
    credit_code: str
    item: str
    accepted_on: date
    decided_on: date | None
    result: str | None
    total_investment: float | None
    void_on: date | None = None


@dataclass
class Lead:
    """An investment lead of 招商局's ledger, its stage at any date derived from its dates."""

    lead_id: str
    project_name: str
    investor: str
    credit_code: str | None
    sourcing_unit: str
    street: str
    industry: str
    intended: float
    first_contact: date
    signed: date | None = None
    landed: date | None = None  # 落地 from this date (the project's registration)
    dropped: date | None = None  # 终止 from this date
    project_code: str | None = None  # shown once landed
    left_on: date | None = None  # absent from every snapshot from this date on
    tags: list[str] = field(default_factory=list)

    def listed_at(self, d: date) -> bool:
        return self.first_contact <= d and (self.left_on is None or d < self.left_on)

    def row_at(self, d: date) -> tuple:
        """The ledger row as the snapshot of date d shows it (contract column order)."""
        stage = "在谈"
        if self.dropped and self.dropped <= d:
            stage = "终止"
        elif self.landed and self.landed <= d:
            stage = "落地"
        elif self.signed and self.signed <= d:
            stage = "签约"
        signed = self.signed if self.signed and self.signed <= d else None
        code = self.project_code if self.landed and self.landed <= d else None
        return (
            self.lead_id,
            self.project_name,
            self.investor,
            self.credit_code,
            self.sourcing_unit,
            self.street,
            self.industry,
            self.intended,
            stage,
            self.first_contact,
            signed,
            code,
        )


@dataclass
class Carrier:
    """A park, building or plot of the quarterly carriers list (areas in m²)."""

    name: str
    aliases: str  # as delivered: separated by ; or ；
    kind: str
    street: str
    status: str  # 建成 / 在建 / 待建
    total: int
    usable: int | None
    occupied: int | None
    investment: float
    brand: str | None


@dataclass
class Certificate:
    credit_code: str
    name: str
    number: str
    certified_on: date
    valid_until: date


@dataclass
class Project:
    code: str
    name: str
    credit_code: str
    company: str
    street: str
    industry: str
    kind: str
    carrier: str
    investment: float
    committed_tax: float | None
    registered_on: date
    nodes: list[Milestone]
    state: str = ""
    in_registry: bool = True  # False: known only from approvals or land (unregistered)
    left_on: date | None = None  # absent from every snapshot from this Monday on
    report_until: date | None = None  # the street's last milestones report (stale)
    no_milestones: bool = False
    no_land: bool = False
    fai_ratio: float | None = None  # cumulative investment as a share of the plan (lag)
    fai_factor: float = 1.05
    fai_skip: set[date] = field(default_factory=set)
    tax_ratio: float = 1.5  # TTM tax per mu over the commitment
    tax_skip: set[date] = field(default_factory=set)
    tax_before: str | None = None  # carrier of tax paid in the 12 months before registered_on
    renamed: tuple[date, str] | None = None  # (from this snapshot, new name)
    parcel: Parcel | None = None
    approvals: list[Approval] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def industrial(self) -> bool:
        return self.kind == INDUSTRIAL

    def node(self, name: str) -> Milestone | None:
        return next((m for m in self.nodes if m.node == name), None)

    def planned(self, name: str) -> date | None:
        m = self.node(name)
        return m.planned if m else None

    def actual(self, name: str) -> date | None:
        m = self.node(name)
        return m.actual if m else None

    def name_on(self, d: date) -> str:
        if self.renamed and d >= self.renamed[0]:
            return self.renamed[1]
        return self.name

    def registered_at(self, d: date) -> bool:
        return (
            self.in_registry
            and self.registered_on <= d
            and (self.left_on is None or d < self.left_on)
        )

    @property
    def clean(self) -> bool:
        return not self.tags


def credit_code(reg_area: str, serial: int, salt: int) -> str:
    """A valid 18-character code; the 9-character organisation part is a bijection of the
    serial, so codes never collide."""
    n = (serial * 7_777_777 + salt) % 31**9
    org = []
    for _ in range(9):
        n, r = divmod(n, 31)
        org.append(CREDIT_ALPHABET[r])
    body = "91" + reg_area + "".join(org)
    return body + credit_check_char(body)


def company_name(i: int) -> str:
    return (
        f"南通{NAME_A[i % 30]}{NAME_B[(i // 30) % 20]}{NAME_C[(i // 600) % 16]}"
        f"{NAME_D[(i // 7) % 3]}"
    )


@dataclass
class Enterprises:
    """Ordinary taxpayers (most are in no project), as parallel lists for speed."""

    codes: list[str]
    names: list[str]
    streets: list[str]
    carriers: list[str]
    base_yuan: list[float]  # typical monthly tax
    above_scale: list[int]  # indices reporting to stats_enterprise


def make_enterprises(rng: random.Random, n: int, refs: Refs, salt: int) -> Enterprises:
    streets, carriers = refs.streets, PARKS + BUILDINGS + ("",) * 5
    codes = [credit_code(REG_AREAS[i % len(REG_AREAS)], i, salt) for i in range(n)]
    names = [company_name(i * 7 + 3) for i in range(n)]
    base = [round(rng.lognormvariate(9.5, 1.4), 2) for _ in range(n)]
    return Enterprises(
        codes=codes,
        names=names,
        streets=[streets[(i * 7) % len(streets)] for i in range(n)],
        carriers=[carriers[(i * 11) % len(carriers)] for i in range(n)],
        base_yuan=base,
        above_scale=[i for i in range(n) if i % 20 == 7],
    )


@dataclass
class World:
    refs: Refs
    cal: Calendar
    rng: random.Random
    salt: int
    projects: list[Project] = field(default_factory=list)
    parcels: list[Parcel] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)  # not tied to a Project
    enterprises: Enterprises | None = None
    serial: int = 0  # project codes / project enterprises
    leads: list[Lead] = field(default_factory=list)
    carriers: list[Carrier] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    lead_serial: int = 0

    # --- plans -------------------------------------------------------------------------
    def plan(
        self,
        industrial: bool,
        anchor: str,
        anchor_date: date,
        frac: tuple[float, float] = (0.45, 0.9),
    ) -> list[Milestone]:
        """Planned dates, every gap within its quota (定额) so no plan_exceeds_quota."""
        nodes: tuple[Node, ...] = self.refs.nodes_for(industrial)
        gaps = [0] + [max(1, int(n.quota(industrial) * self.rng.uniform(*frac))) for n in nodes[1:]]
        idx = next(i for i, n in enumerate(nodes) if n.node == anchor)
        dates: list[date] = [anchor_date] * len(nodes)
        for i in range(idx + 1, len(nodes)):
            dates[i] = dates[i - 1] + timedelta(days=gaps[i])
        for i in range(idx - 1, -1, -1):
            dates[i] = dates[i + 1] - timedelta(days=gaps[i + 1])
        return [Milestone(n.node, n.seq, d) for n, d in zip(nodes, dates, strict=True)]

    def achieve(self, nodes: list[Milestone], early: int) -> None:
        """Met on time or early: every node planned on or before as_of is met, and known by
        the last weekly report (so never overdue); later ones only if met early by then."""
        a, c = self.cal.as_of, self.cal.last_monday
        for m in nodes:
            if m.planned <= a:
                m.actual = min(m.planned - timedelta(days=early), c)
            elif m.planned - timedelta(days=early) <= c:
                m.actual = m.planned - timedelta(days=early)
            else:
                break

    # --- entities ----------------------------------------------------------------------
    def next_code(self, year: int) -> tuple[str, str, str]:
        """(project code, investor credit code, investor name)."""
        self.serial += 1
        s = self.serial
        industry2 = 13 + (s * 7) % 30
        tail = (s * 7919 + self.salt) % 900000 + 100000
        code = f"{year}-{DIVISION}-{industry2:02d}-{1 + s % 3:02d}-{tail:06d}"
        cc = credit_code(REG_AREAS[s % len(REG_AREAS)], 5_000_000 + s, self.salt)
        return code, cc, company_name(s * 13 + 1)

    def new_project(self, state: str, kind: str | None = None, accept=lambda p: True) -> Project:
        """A clean project in the given state as of as_of:
        pre_start, construction, completed (not yet producing) or production."""
        rng, a = self.rng, self.cal.as_of
        for _ in range(500):
            k = kind or (INDUSTRIAL if rng.random() < 0.6 else SERVICE)
            ind = k == INDUSTRIAL
            if state == "pre_start":
                nodes = self.plan(ind, APPROVAL, a - timedelta(days=rng.randint(25, 200)))
            elif state == "construction":
                nodes = self.plan(ind, START, a - timedelta(days=rng.randint(45, 600)))
            elif state == "completed":
                nodes = self.plan(ind, COMPLETION, a - timedelta(days=rng.randint(10, 50)))
            elif state == "production":
                nodes = self.plan(ind, PRODUCTION, a - timedelta(days=rng.randint(20, 900)))
            else:
                raise ValueError(state)
            p = self._project(k, nodes, state)
            if self._state_ok(p, state) and accept(p):
                return p
        raise RuntimeError(f"could not build a {state} project")

    def _state_ok(self, p: Project, state: str) -> bool:
        a = self.cal.as_of
        if p.planned(APPROVAL) > a - timedelta(days=25):
            return False
        if state == "pre_start":
            return p.planned(START) > a + timedelta(days=15)
        if state == "construction":
            return p.actual(START) is not None and p.planned(COMPLETION) > a + timedelta(days=15)
        if state == "completed":
            return p.planned(PRODUCTION) > a + timedelta(days=15)
        return p.actual(PRODUCTION) is not None

    def _project(self, kind: str, nodes: list[Milestone], state: str) -> Project:
        rng, c = self.rng, self.cal.last_monday
        self.achieve(nodes, rng.randint(1, 10))
        approved = next(m for m in nodes if m.node == APPROVAL)
        code, cc, company = self.next_code(approved.planned.year)
        ind = kind == INDUSTRIAL
        industry = rng.choice(
            self.refs.manufacturing
            if ind
            else [i for i in self.refs.industries if i not in self.refs.manufacturing]
            or self.refs.industries
        )
        what = rng.choice(PROJECT_WHAT[kind])
        invest = round(rng.uniform(10000, 150000 if ind else 60000), -2)
        carrier = rng.choice(PARKS if ind else BUILDINGS) if rng.random() < 0.85 else ""
        registered = min(approved.actual + timedelta(days=rng.randint(3, 12)), c)
        return Project(
            code=code,
            name=f"{company[2:4]}{what}",
            credit_code=cc,
            company=company,
            street=rng.choice(self.refs.streets),
            industry=industry,
            kind=kind,
            carrier=carrier,
            investment=invest,
            committed_tax=round(rng.uniform(20, 80), 1) if ind else None,
            registered_on=registered,
            nodes=nodes,
            state=state,
            fai_factor=round(rng.uniform(1.03, 1.12), 3),
        )

    def add(self, p: Project) -> Project:
        self.projects.append(p)
        return p

    # --- derived entities --------------------------------------------------------------
    def finalize(self) -> None:
        """Land parcels and approvals of every project, from its final milestones."""
        listed = {id(q) for q in self.parcels}
        for p in self.projects:
            if p.industrial and p.actual(LAND) and not p.no_land and p.parcel is None:
                p.parcel = self.parcel_for(p)
            if p.parcel is not None and id(p.parcel) not in listed:
                listed.add(id(p.parcel))
                self.parcels.append(p.parcel)
            if not p.approvals:
                p.approvals = self.approvals_for(p)

    def parcel_for(self, p: Project, land_use: str = INDUSTRIAL) -> Parcel:
        rng = self.rng
        mu = rng.uniform(25, 160)
        signed = p.actual(LAND) or p.planned(LAND) or p.registered_on
        start = p.planned(START) + timedelta(days=rng.randint(0, 20))
        return Parcel(
            parcel_no=self.parcel_no(signed.year, "G"),
            project_code=p.code,
            credit_code=p.credit_code,
            street=p.street,
            land_use=land_use,
            area_m2=round(mu * MU_M2, 2),
            signed=signed,
            price=round(mu * rng.uniform(18, 32), 2),
            agreed_start=start,
            agreed_completion=p.planned(COMPLETION) + timedelta(days=rng.randint(0, 30)),
            actual_start=p.actual(START),
            actual_completion=p.actual(COMPLETION),
        )

    def lead_id(self, year: int) -> str:
        self.lead_serial += 1
        return f"ZS{year}-{self.lead_serial:04d}"

    def parcel_no(self, year: int, kind: str) -> str:
        self.serial += 1
        return f"崇川{year}-{kind}{self.serial:04d}"

    def approvals_for(self, p: Project) -> list[Approval]:
        rng, c = self.rng, self.cal.last_monday
        out: list[Approval] = []
        first_open = True
        for m in p.nodes:
            items = self.refs.items_for_node(m.node)
            if not items:
                continue
            # Filing (备案) is the common route for enterprise investment; the rest are rarer.
            item = items[0] if len(items) == 1 or rng.random() < 0.7 else rng.choice(items[1:])
            if m.actual is not None:
                out.append(
                    Approval(
                        p.code,
                        p.name,
                        p.credit_code,
                        item,
                        m.actual - timedelta(days=rng.randint(5, 25)),
                        m.actual,
                        "准予",
                        p.investment,
                    )
                )
            elif first_open:
                first_open = False
                # Pending within its committed limit (never approval_overdue on a clean row).
                limit = self.refs.limit(item)
                accepted = max(
                    m.planned - timedelta(days=20),
                    accepted_for(self.cal.as_of, max(0, limit - 1)),
                )
                if accepted <= c:
                    out.append(
                        Approval(
                            p.code, p.name, p.credit_code, item, accepted, None, None, p.investment
                        )
                    )
        return out

    def standalone_parcel(self, land_use: str, agreed_start: date, started: bool) -> Parcel:
        """A parcel of an ordinary enterprise, in no project (commercial, warehouse)."""
        rng, ent = self.rng, self.enterprises
        i = rng.randrange(len(ent.codes))
        mu = rng.uniform(5, 60)
        signed = agreed_start - timedelta(days=rng.randint(90, 240))
        actual = agreed_start + timedelta(days=rng.randint(-20, 0)) if started else None
        return Parcel(
            parcel_no=self.parcel_no(signed.year, "R" if land_use != "仓储" else "C"),
            project_code=None,
            credit_code=ent.codes[i],
            street=ent.streets[i],
            land_use=land_use,
            area_m2=round(mu * MU_M2, 2),
            signed=signed,
            price=round(mu * rng.uniform(40, 90), 2),
            agreed_start=agreed_start,
            agreed_completion=add_months(agreed_start, 24),
            actual_start=actual if actual and actual <= self.cal.last_monday else None,
        )


def fai_months(p: Project, last: date) -> list[date]:
    """Months in which the project is under construction (rules.md), through `last`."""
    start, done = p.actual(START), p.actual(COMPLETION)
    if start is None:
        return []
    out, m = [], month_start(start)
    while m <= last and (done is None or done >= m):
        out.append(m)
        m = add_months(m, 1)
    return out
