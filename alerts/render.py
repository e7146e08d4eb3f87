"""The digest as the department reads it: subject, plain text and HTML in Chinese, and the
full list as a CSV attachment (UTF-8 with BOM, so Excel opens it in Chinese)."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from datetime import date

from alerts.items import GAP, REJECTED, WARNING, Item
from alerts.lifecycle import NEW, OPEN, REMINDER, RESOLVED, Digest, Entry
from alerts.owners import Owner

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
    "unknown_code_value": "节点、审批事项或产业类别不在标准目录",
    "rejected_file": "整个文件退回(表头缺失或无法解析)",
}
FEEDS = {
    "registry": "项目库",
    "milestones": "节点推进",
    "approvals": "行政审批",
    "land": "土地供应",
    "stats_fai": "固定资产投资项目月报",
    "stats_enterprise": "规上企业月报",
    "stats_gdp": "地区生产总值",
    "tax": "税收入库",
}
KINDS = {GAP: "应入尽入缺报", REJECTED: "数据隔离", WARNING: "分级预警"}
GRADES = {"red": "红牌", "yellow": "黄牌"}
STATES = {NEW: "今日新增", OPEN: "仍未解决", REMINDER: "仍未解决(提醒)", RESOLVED: "已解决"}


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    attachment_name: str
    attachment: bytes


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def describe(item: Item) -> str:
    """One line naming the item in the department's terms."""
    rule = RULES.get(item.rule_id, item.rule_id)
    project = " ".join(p for p in (item.project_code, item.project_name) if p)
    if item.kind == REJECTED:
        where = f"{item.file_name}" + (f" 第{item.line_no}行" if item.line_no else "")
        feed = FEEDS.get(item.feed or "", item.feed or "")
        text = f"【数据隔离】{feed} {where}：{rule}"
        return text + (f"（{item.detail}）" if item.detail else "")
    if item.kind == WARNING:
        grade = GRADES.get(item.grade or "", item.grade or "")
        subject = project or f"宗地 {item.parcel_no}"
        if item.parcel_no and project:
            subject += f" 宗地 {item.parcel_no}"
        late = f"，滞后{item.delay_days}天" if item.delay_days is not None else ""
        return f"【{grade}预警】{rule}：{subject}{late}" + (
            f"（{item.detail}）" if item.detail else ""
        )
    parts = []
    if project:
        parts.append(f"项目 {project}")
    if item.credit_code:
        parts.append(f"统一社会信用代码 {item.credit_code}")
    if item.parcel_no:
        parts.append(f"宗地 {item.parcel_no}")
    if item.feed:
        parts.append(f"数据 {FEEDS.get(item.feed, item.feed)}")
    if item.period:
        parts.append(f"统计期 {item.period:%Y年%m月}")
    return f"【应入尽入】{rule}：" + "，".join(parts)


def _suffix(entry: Entry) -> str:
    bits = []
    if entry.state != RESOLVED and entry.days_open is not None:
        bits.append(f"已持续{entry.days_open}天")
    if entry.state == REMINDER:
        bits.append("再次提醒")
    if entry.escalated:
        bits.append("已超期升级督办")
    if entry.state == RESOLVED:
        bits.append("已解决")
    return f"（{'，'.join(bits)}）" if bits else ""


def _sections(digest: Digest) -> list[tuple[str, list[Entry]]]:
    return [
        ("今日新增", digest.of(NEW)),
        ("仍未解决", digest.of(REMINDER) + digest.of(OPEN)),
        ("已解决", digest.of(RESOLVED)),
    ]


def _cards(digest: Digest) -> tuple[int, int]:
    live = [e.item for e in digest.entries if e.state != RESOLVED and e.item.kind == WARNING]
    return (sum(i.grade == "red" for i in live), sum(i.grade == "yellow" for i in live))


def render(digest: Digest, owner: Owner, as_of: date) -> Rendered:
    n_new, n_open = len(digest.of(NEW)), len(digest.of(OPEN)) + len(digest.of(REMINDER))
    n_resolved = len(digest.of(RESOLVED))
    red, yellow = _cards(digest)
    escalated = "【督办】" if digest.escalated else ""
    subject = (
        f"{escalated}重大产业项目库预警摘要 {owner.name} {_cn_date(as_of)}："
        f"新增{n_new}项，仍未解决{n_open}项，已解决{n_resolved}项"
    )
    intro = [
        f"{owner.name}：",
        "",
        f"以下为{_cn_date(as_of)}重大产业项目库数据核查结果（应入尽入核查、数据质量校验、"
        "分级预警），仅含贵单位负责的事项，请及时核实处理。",
        f"本单位所涉项目：红牌预警{red}项，黄牌预警{yellow}项。",
    ]
    if digest.escalated:
        intro.append("部分事项已超过督办期限，本摘要同时抄送分管负责同志。")
    lines = list(intro)
    html_parts = [f"<p>{html.escape(line)}</p>" for line in intro if line]
    numerals = ["一", "二", "三"]
    for n, (title, entries) in enumerate(_sections(digest)):
        heading = f"{numerals[n]}、{title}（{len(entries)}项）"
        if title == "仍未解决":
            heading += "（括号内为已持续天数）"
        lines += ["", heading]
        html_parts.append(f"<h3>{html.escape(heading)}</h3>")
        if not entries:
            lines.append("  无")
            html_parts.append("<p>无</p>")
            continue
        html_parts.append("<ol>")
        for i, entry in enumerate(entries, 1):
            text = describe(entry.item) + _suffix(entry)
            lines.append(f"  {i}. {text}")
            style = ' style="color:#c00"' if entry.item.grade == "red" else ""
            html_parts.append(f"<li{style}>{html.escape(text)}</li>")
        html_parts.append("</ol>")
    footer = [
        "",
        "完整清单见附件（CSV，可用Excel打开）。数据缺报请按期补报；被隔离的数据请更正后"
        "重新报送；如有异议或已申请豁免，请与项目办联系。",
        "此邮件由重大项目库数据平台自动发送。",
    ]
    lines += footer
    html_parts += [f"<p>{html.escape(line)}</p>" for line in footer if line]
    body_html = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head><body>"
        + "\n".join(html_parts)
        + "</body></html>"
    )
    return Rendered(
        subject=subject,
        text="\n".join(lines) + "\n",
        html=body_html,
        attachment_name=f"预警清单_{owner.code}_{as_of:%Y%m%d}.csv",
        attachment=attachment_csv(digest),
    )


CSV_HEADER = [
    "状态",
    "类别",
    "规则或原因",
    "规则代码",
    "事项编号",
    "项目代码",
    "项目名称",
    "统一社会信用代码",
    "宗地编号",
    "数据来源",
    "文件",
    "行号",
    "统计期",
    "发现日期",
    "已持续天数",
    "预警等级",
    "滞后天数",
    "说明",
    "升级督办",
]


def attachment_csv(digest: Digest) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for _title, entries in _sections(digest):
        for e in entries:
            i = e.item
            writer.writerow(
                [
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
                    i.detail or "",
                    "是" if e.escalated else "",
                ]
            )
    # UTF-8 with BOM: Excel on Windows reads the Chinese correctly only with it.
    return buf.getvalue().encode("utf-8-sig")
