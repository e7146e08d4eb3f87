"""The digest as the department reads it: subject, plain text and HTML in Chinese from the
Jinja2 templates in alerts/templates (HTML autoescaped), and the full list as a CSV attachment
(UTF-8 with BOM, so Excel opens it in Chinese). Feed names and column labels come from the feed
contracts (ingest/feeds/contracts.py); only the rule names are the digest's own."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alerts.items import GAP, REJECTED, WARNING
from alerts.lifecycle import NEW, OPEN, REMINDER, RESOLVED, Digest, Entry
from alerts.owners import Owner
from ingest.feeds.contracts import FEEDS as CONTRACTS

RULES = {
    "unregistered_project": "应入未入库项目(应入尽入)",
    "missing_fai_report": "固定资产投资月报缺报",
    "missing_tax_record": "税收入库记录缺失",
    "missing_land_record": "供地记录缺失",
    "stale_milestones": "节点推进超期未更新",
    "missing_feed": "部门数据未按期报送",
    "unknown_project": "报送项目不在项目库或审批库",
    "node_overdue": "节点逾期",
    "start_overdue": "开工逾期",
    "production_overdue": "投产逾期",
    "investment_lag": "投资进度滞后",
    "plan_exceeds_quota": "计划工期超出节点定额(定额锁定上限)",
    "tax_commitment_shortfall": "亩均税收未达承诺",
    "idle_land": "闲置土地(闲置土地处置办法)",
    "unregistered_signed_lead": "已签约招商项目未入库",
    "unknown_carrier": "载体名称不在载体平台名录",
    "lead_stalled": "招商线索久谈未签(在谈早会办)",
    "approval_overdue": "审批事项超承诺时限(工作日)",
    "invalid_credit_code": "统一社会信用代码校验位错误",
    "invalid_project_code": "项目代码格式错误",
    "invalid_date": "日期无法识别",
    "invalid_number": "数值无法识别",
    "missing_required": "必填项为空",
    "unknown_street": "街道代码不在街道名录",
    "unknown_code_value": "取值不在标准目录或格式不符(节点、审批事项、产业类别、阶段、招引单位等)",
    "rejected_file": "整个文件退回(表头缺失、无法解析或不是收件箱内的普通文件)",
}
FEEDS = {name: feed.zh for name, feed in CONTRACTS.items()}
KINDS = {GAP: "应入尽入缺报", REJECTED: "数据隔离", WARNING: "分级预警"}
GRADES = {"red": "红牌", "yellow": "黄牌"}
STATES = {NEW: "今日新增", OPEN: "仍未解决", REMINDER: "仍未解决(提醒)", RESOLVED: "已解决"}
# An amount in 万元 (also 万元/亩) as the marts wrote it, with whatever scale the column had.
_AMOUNT = re.compile(r"(?<![\d.])(-?\d+(?:\.\d+)?)(?=\s*万元)")
_CENT = Decimal("0.01")


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    attachment_name: str
    attachment: bytes


@dataclass
class Section:
    heading: str
    entries: list[Entry]


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def amounts(text: str) -> str:
    """Every amount in 万元 with two decimals: the marts carry each column's own scale
    (a plan of 41654.3210 beside an actual of 22909.88), the reader wants one."""
    return _AMOUNT.sub(lambda m: str(Decimal(m[1]).quantize(_CENT, ROUND_HALF_UP)), text)


def markdown_text(text: str) -> str:
    """Delivered text (project and file names, details) must not become Markdown in a robot
    message: no links, no HTML (WeCom's <font>), no emphasis, no new line that would start a
    heading or a list."""
    return str(text).translate(_MD_TABLE)


_MD_TABLE = str.maketrans(
    {"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "｀", "\n": " ", "\r": " "}
)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alerts", "templates"),
        # Only the HTML is escaped: department-delivered text (file names, details, project
        # names) must not become markup in a mail client; plain text and Markdown stay raw.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        cn_date=cn_date,
        amounts=amounts,
        md=markdown_text,
        rule_name=lambda rule: RULES.get(rule, rule),
        feed_name=lambda feed: FEEDS.get(feed or "", feed or ""),
        grade_name=lambda grade: GRADES.get(grade or "", grade or ""),
    )
    env.globals["entry_line"] = entry_line
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def sections(digest: Digest) -> list[Section]:
    out = [
        Section("今日新增", digest.of(NEW)),
        Section("仍未解决", digest.of(REMINDER) + digest.of(OPEN)),
        Section("已解决", digest.of(RESOLVED)),
    ]
    for numeral, s in zip("一二三", out, strict=True):
        note = "（括号内为已持续天数）" if s.heading == "仍未解决" else ""
        s.heading = f"{numeral}、{s.heading}（{len(s.entries)}项）{note}"
    return out


@dataclass
class Summary:
    """What the templates say about a digest besides its items."""

    escalated: bool
    n_new: int
    n_open: int
    n_resolved: int
    red: int
    yellow: int
    sections: list[Section]


def summarise(digest: Digest) -> Summary:
    live = [e.item for e in digest.entries if e.state != RESOLVED and e.item.kind == WARNING]
    return Summary(
        escalated=digest.escalated,
        n_new=len(digest.of(NEW)),
        n_open=len(digest.of(OPEN)) + len(digest.of(REMINDER)),
        n_resolved=len(digest.of(RESOLVED)),
        red=sum(i.grade == "red" for i in live),
        yellow=sum(i.grade == "yellow" for i in live),
        sections=sections(digest),
    )


def _macros():
    return environment().get_template("_items.txt.j2").module


def describe(item) -> str:
    """One line naming the item in the department's terms."""
    return str(_macros().describe(item))


def entry_line(entry: Entry) -> str:
    """An item's line with how long it has been open. A plain str on purpose: the HTML
    template escapes it (a macro called from there would count as markup)."""
    macros = _macros()
    return str(macros.describe(entry.item)) + str(macros.suffix(entry))


def render(digest: Digest, owner: Owner, as_of: date) -> Rendered:
    summary = summarise(digest)
    context = {"d": summary, "owner": owner, "as_of": as_of}
    subject = render_template("digest_subject.txt.j2", **context).strip()
    return Rendered(
        subject=subject,
        text=render_template("digest.txt.j2", **context) + "\n",
        html=render_template("digest.html.j2", subject=subject, **context),
        attachment_name=f"预警清单_{owner.code}_{as_of:%Y%m%d}.csv",
        attachment=attachment_csv(digest),
    )


def _label(feed: str, column: str) -> str:
    return CONTRACTS[feed].column(column).zh


CSV_HEADER = [
    "状态",
    "类别",
    "规则或原因",
    "规则代码",
    "事项编号",
    _label("registry", "project_code"),
    _label("registry", "project_name"),
    _label("stats_enterprise", "credit_code"),
    _label("land", "parcel_no"),
    "数据来源",
    "文件",
    "行号",
    _label("stats_fai", "period"),
    "发现日期",
    "已持续天数",
    "预警等级",
    "滞后天数",
    "说明",
    "升级督办",
]
# A cell starting with one of these is a formula to Excel, LibreOffice and WPS (tab and CR
# too, as some of them strip them first): department-delivered text must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with ' (shown as text).
    Numbers are written as numbers: a negative day count is a value, not a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def attachment_csv(digest: Digest) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for section in sections(digest):
        for e in section.entries:
            i = e.item
            row = [
                STATES[e.state],
                KINDS[i.kind],
                RULES.get(i.rule_id, i.rule_id),
                i.rule_id,
                i.item_id,
                i.project_code or "",
                i.project_name or "",
                i.credit_code or "",
                i.parcel_no or "",
                FEEDS.get(i.feed or "", i.feed or ""),
                i.file_name or "",
                i.line_no or "",
                i.period.strftime("%Y-%m") if i.period else "",
                i.opened_on.isoformat() if i.opened_on else "",
                "" if e.days_open is None else e.days_open,
                GRADES.get(i.grade or "", ""),
                "" if i.delay_days is None else i.delay_days,
                amounts(i.detail or ""),
                "是" if e.escalated else "",
            ]
            writer.writerow([_cell(v) for v in row])
    # UTF-8 with BOM: Excel on Windows reads the Chinese correctly only with it.
    return buf.getvalue().encode("utf-8-sig")
