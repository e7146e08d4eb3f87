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
# (ingest/identifiers.py) and the set-based SQL checks of a batch (ingest/batch_sql.py) are
# both built from these.
PROJECT_CODE_PATTERN = r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

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
    ref: str | None = None  # "<seed>.<column>": the value set lives in a reference seed


@dataclass(frozen=True)
class Feed:
    name: str
    zh: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    snapshot: bool = False
    aliases: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> tuple[str, ...]:
        """Headers a file must carry: its key and the columns marked required."""
        return tuple(c.name for c in self.columns if c.name in self.key or c.required)


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
                _c("planned_start", "计划开工日期", DATE),
                _c("planned_completion", "计划竣工日期", DATE),
                _c("planned_production", "计划投产日期", DATE),
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
                _c("planned_date", "计划完成日期", DATE),
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
                _c("agreed_start", "约定开工日期", DATE),
                _c("agreed_completion", "约定竣工日期", DATE),
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
                _c("month_investment", "本月完成投资", NUMBER),
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
                _c("amount_yuan", "实缴税额(元)", NUMBER),
                _c("paid_on", "入库日期", DATE),
                _c("street_code", "所属街道", STREET_CODE),
                _c("carrier", "载体"),
            ),
        ),
    )
}

FEED_NAMES: tuple[str, ...] = tuple(FEEDS)
