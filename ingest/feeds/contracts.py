"""The delivery contract of every department feed (feeds.md), as data.

Each column names its canonical (English) header, the Chinese header departments export,
its kind (which decides parsing and validation) and whether the feed requires it. Value
sets that live in reference tables are named by ``ref`` and read from the seeds at run
time; only the value sets that feeds.md itself fixes are spelled out here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. Parsing and validation of each lives in projledger/db/migrations/002_parsers.sql.
PROJECT_CODE = "project_code"
CREDIT_CODE = "credit_code"
STREET_CODE = "street_code"
TEXT = "text"
DATE = "date"
PERIOD = "period"
NUMBER = "number"
CHOICE = "choice"

# Identifier formats of feeds.md, written once: the Python reference checks
# (ingest/identifiers.py), the bulk checks of a batch (ingest/checks.py) and the
# quality suites are all built from these. GB 32100-2015's alphabet has no I, O, S, V, Z.
PROJECT_CODE_PATTERN = r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PATTERNS: dict[str, str] = {
    PROJECT_CODE: PROJECT_CODE_PATTERN,
    CREDIT_CODE: f"^[{CREDIT_ALPHABET}]{{18}}$",
}

RECORD_STATUS = "record_status"
RECORD_STATUS_ZH = "状态"
RETRACT_VALUES = ("作废", "void")


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str = TEXT
    required: bool = False
    positive: bool = False
    choices: tuple[str, ...] = ()
    # "<seed>.<column>": the value set lives in a reference seed; several name a union
    # (a sourcing unit is a street or a department).
    ref: str | tuple[str, ...] | None = None
    planned: bool = False  # a date that may lie ahead (a plan), unlike a fact's date
    signed: bool = False  # a number that may be negative (a correction, a refund)
    # A format the trimmed value must match (PostgreSQL regex), else unknown_code_value.
    pattern: str | None = None
    # (column, values): required only on rows whose `column` holds one of `values`
    # (a signed lead needs its signing date); blank there is missing_required.
    required_when: tuple[str, tuple[str, ...]] | None = None

    @property
    def refs(self) -> tuple[str, ...]:
        if self.ref is None:
            return ()
        return (self.ref,) if isinstance(self.ref, str) else self.ref


@dataclass(frozen=True)
class Feed:
    name: str
    zh: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # Each file is the feed's whole population: a live key absent from it gets a `leave`.
    snapshot: bool = False
    aliases: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> tuple[str, ...]:
        """Headers a file must carry: its key and the columns marked required."""
        return tuple(c.name for c in self.columns if c.name in self.key or c.required)


LEAD_STAGES = ("在谈", "签约", "落地", "终止")
LEAD_SIGNED = ("签约", "落地")  # stages that need a signing date
LEAD_ID_PATTERN = "^ZS[0-9]{4}-[0-9]{4}$"  # ZS + year + - + 4 digits, e.g. ZS2026-0113


def _c(name: str, zh: str, kind: str = TEXT, **kw) -> Column:
    return Column(name, zh, kind, **kw)


FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        Feed(
            "registry",
            "项目库",
            key=("project_code",),
            snapshot=True,
            columns=(
                _c("project_code", "项目代码", PROJECT_CODE, required=True),
                _c("project_name", "项目名称", required=True),
                _c("credit_code", "建设单位统一社会信用代码", CREDIT_CODE),
                _c("street_code", "所属街道", STREET_CODE, required=True),
                _c("industry", "产业类别", CHOICE, ref="industries.industry"),
                _c("project_kind", "项目类型", CHOICE, choices=("工业", "服务业")),
                _c("carrier", "载体"),
                _c("planned_investment", "计划总投资", NUMBER, required=True, positive=True),
                _c("planned_start", "计划开工日期", DATE, planned=True),
                _c("planned_completion", "计划竣工日期", DATE, planned=True),
                _c("planned_production", "计划投产日期", DATE, planned=True),
                _c("registered_on", "入库日期", DATE),
                _c("committed_tax_per_mu", "承诺亩均税收", NUMBER),
            ),
        ),
        Feed(
            "milestones",
            "节点推进",
            key=("project_code", "node"),
            columns=(
                _c("project_code", "项目代码", PROJECT_CODE),
                _c("node", "节点", CHOICE, ref="milestone_nodes.node"),
                _c("planned_date", "计划完成日期", DATE, planned=True),
                _c("actual_date", "实际完成日期", DATE),
                _c("reported_on", "填报日期", DATE),
                _c("note", "备注"),
            ),
        ),
        Feed(
            "approvals",
            "行政审批",
            key=("project_code", "item"),
            columns=(
                _c("project_code", "项目代码", PROJECT_CODE),
                _c("project_name", "项目名称"),
                _c("credit_code", "申请单位统一社会信用代码", CREDIT_CODE),
                _c("item", "审批事项", CHOICE, ref="approval_items.item"),
                _c("accepted_on", "受理日期", DATE),
                _c("decided_on", "办结日期", DATE),
                _c("result", "审批结果", CHOICE, choices=("准予", "不予")),
                _c("total_investment", "总投资", NUMBER),
            ),
        ),
        Feed(
            "land",
            "土地供应",
            key=("parcel_no",),
            columns=(
                _c("parcel_no", "宗地编号"),
                _c("project_code", "项目代码", PROJECT_CODE),
                _c("credit_code", "受让人统一社会信用代码", CREDIT_CODE),
                _c("street_code", "所属街道", STREET_CODE),
                _c("land_use", "土地用途"),
                _c("area_m2", "出让面积(平方米)", NUMBER, positive=True),
                _c("contract_signed_on", "合同签订日期", DATE),
                _c("price", "出让价款", NUMBER),
                _c("agreed_start", "约定开工日期", DATE, planned=True),
                _c("agreed_completion", "约定竣工日期", DATE, planned=True),
                _c("actual_start", "实际开工日期", DATE),
                _c("actual_completion", "实际竣工日期", DATE),
            ),
        ),
        Feed(
            "stats_fai",
            "固定资产投资项目月报",
            key=("project_code", "period"),
            columns=(
                _c("project_code", "项目代码", PROJECT_CODE),
                _c("period", "统计期", PERIOD),
                _c("month_investment", "本月完成投资", NUMBER, signed=True),
                _c("cumulative_investment", "自开工累计完成投资", NUMBER),
            ),
        ),
        Feed(
            "stats_enterprise",
            "规上企业月报",
            key=("credit_code", "period"),
            columns=(
                _c("credit_code", "统一社会信用代码", CREDIT_CODE),
                _c("period", "统计期", PERIOD),
                _c("output_value", "工业总产值", NUMBER),
                _c("revenue", "营业收入", NUMBER),
                _c("above_scale", "是否规上", CHOICE, choices=("是", "否")),
            ),
        ),
        Feed(
            "stats_gdp",
            "地区生产总值",
            key=("period",),
            columns=(
                _c("period", "统计期", PERIOD),
                _c("gdp", "地区生产总值", NUMBER),
                _c("fixed_asset_investment", "固定资产投资", NUMBER),
            ),
        ),
        Feed(
            "tax",
            "税收入库",
            key=("credit_code", "period", "tax_type"),
            columns=(
                _c("credit_code", "纳税人识别号", CREDIT_CODE),
                _c("taxpayer_name", "纳税人名称"),
                _c("period", "税款所属期", PERIOD),
                _c("tax_type", "税种"),
                _c("amount_yuan", "实缴税额(元)", NUMBER, signed=True),
                _c("paid_on", "入库日期", DATE),
                _c("street_code", "所属街道", STREET_CODE),
                _c("carrier", "载体"),
            ),
        ),
        Feed(
            "leads",
            "招商项目台账",
            key=("lead_id",),
            snapshot=True,
            columns=(
                _c("lead_id", "线索编号", required=True, pattern=LEAD_ID_PATTERN),
                _c("project_name", "项目名称", required=True),
                _c("investor", "投资方"),
                _c("credit_code", "统一社会信用代码", CREDIT_CODE),
                _c(
                    "sourcing_unit",
                    "招引单位",
                    CHOICE,
                    required=True,
                    ref=("streets.street_code", "departments.dept_code"),
                ),
                _c("street_code", "拟落户街道", STREET_CODE, required=True),
                _c("industry", "产业类别", CHOICE, ref="industries.industry"),
                _c("intended_investment", "意向投资额", NUMBER, required=True, positive=True),
                _c("stage", "阶段", CHOICE, required=True, choices=LEAD_STAGES),
                _c("first_contact_on", "首次接洽日期", DATE, required=True),
                _c("signed_on", "签约日期", DATE, required_when=("stage", LEAD_SIGNED)),
                _c("project_code", "项目代码", PROJECT_CODE),
            ),
        ),
        Feed(
            "carriers",
            "载体平台",
            key=("carrier_name", "period"),
            columns=(
                _c("carrier_name", "载体名称", required=True),
                # Kept as delivered; split on ; and ； downstream (staging).
                _c("aliases", "别名"),
                _c("carrier_kind", "载体类型", CHOICE, choices=("园区", "楼宇", "地块")),
                _c("street_code", "所属街道", STREET_CODE, required=True),
                _c(
                    "build_status",
                    "建设状态",
                    CHOICE,
                    required=True,
                    choices=("建成", "在建", "待建"),
                ),
                _c("total_area_m2", "总面积(平方米)", NUMBER, required=True, positive=True),
                _c("usable_area_m2", "可用面积(平方米)", NUMBER),
                _c("occupied_area_m2", "已用面积(平方米)", NUMBER),
                _c("investment_completed", "累计完成投资", NUMBER),
                _c("brand_level", "品牌等级", CHOICE, choices=("国家级", "省级", "市级")),
                _c("period", "统计期", PERIOD),
            ),
        ),
        Feed(
            "hitech",
            "高新技术企业认定",
            key=("credit_code", "certificate_no"),
            columns=(
                _c("credit_code", "统一社会信用代码", CREDIT_CODE, required=True),
                _c("enterprise_name", "企业名称"),
                _c("certificate_no", "证书编号", required=True),
                _c("certified_on", "发证日期", DATE, required=True),
                _c("valid_until", "有效期至", DATE, planned=True),
            ),
        ),
    )
}

FEED_NAMES: tuple[str, ...] = tuple(FEEDS)
