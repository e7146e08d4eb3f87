"""The bulletin as one self-contained HTML page: autoescaped Jinja2 templates, the stylesheet
inlined, charts inlined as SVG images. No clock inside: the same figures give the same bytes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports import charts
from reports.figures import Bulletin, quarter_label

TEMPLATES = Path(__file__).parent / "templates"


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def num(value: Any) -> str:
    v = _number(value)
    return "—" if v is None else f"{v:,.0f}"


def fixed(value: Any) -> str:
    v = _number(value)
    return "—" if v is None else f"{v:,.2f}"


def wan(value: Any) -> str:
    """万元, shown in 亿元 from 1 亿 up."""
    v = _number(value)
    if v is None:
        return "—"
    return f"{v / 10000:,.2f} 亿元" if abs(v) >= 10000 else f"{v:,.0f} 万元"


def wan_m2(value: Any) -> str:
    v = _number(value)
    return "—" if v is None else f"{v / 10000:,.1f} 万m²"


def pct(value: Any) -> str:
    v = _number(value)
    return "—" if v is None else f"{v * 100:.1f}%"


def days(value: Any) -> str:
    v = _number(value)
    return "—" if v is None else f"{v:.0f} 个工作日"


def days_cal(value: Any) -> str:
    v = _number(value)
    return "—" if v is None else f"{v:.0f} 天"


def cn_date(value: date | None) -> str:
    return "—" if value is None else f"{value.year}年{value.month}月{value.day}日"


def cn_month(value: date | None) -> str:
    return "—" if value is None else f"{value.year}年{value.month}月"


def cn_quarter(value: date | None) -> str:
    return "—" if value is None else quarter_label(value)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=num,
        fixed=fixed,
        wan=wan,
        wan_m2=wan_m2,
        pct=pct,
        days=days,
        days_cal=days_cal,
        cn_date=cn_date,
        cn_month=cn_month,
        cn_quarter=cn_quarter,
    )
    return env


def _charts(b: Bulletin) -> dict[str, str]:
    out: dict[str, str] = {}
    base = b.final_ranking or b.current_ranking
    if base:
        names = [row["street_name"] or row["street_code"] for row in base]
        order = [row["street_code"] for row in base]
        current = {row["street_code"]: row["score"] for row in b.current_ranking}
        final = {row["street_code"]: row["score"] for row in b.final_ranking}
        if b.final_ranking:
            out["ranking"] = charts.street_scores(
                names,
                [final.get(code) for code in order],
                [current.get(code) for code in order] if b.current_ranking else None,
                f"{quarter_label(b.final_quarter)}(定稿)",
                f"{quarter_label(b.current_quarter)}(暂定)" if b.current_quarter else None,
            )
        else:
            out["ranking"] = charts.street_scores(
                names,
                [current.get(code) for code in order],
                None,
                f"{quarter_label(b.current_quarter)}(暂定)",
                None,
            )
    if b.leads:
        out["leads"] = charts.leads_funnel(
            [row["stage"] for row in b.leads],
            [int(row["n"]) for row in b.leads],
            [float(row["amount"]) for row in b.leads],
        )
    out["investment"] = charts.investment_by_month(
        [f"{m['period'].year % 100:02d}.{m['period'].month:02d}" for m in b.investment_months],
        [float(m["actual"]) for m in b.investment_months],
        [float(m["plan"]) for m in b.investment_months],
    )
    return {name: charts.data_uri(svg) for name, svg in out.items()}


def render_html(b: Bulletin, rules: dict[str, Any]) -> str:
    ranking_tables = []
    if b.final_ranking:
        ranking_tables.append((f"{quarter_label(b.final_quarter)}(定稿)", b.final_ranking))
    if b.current_ranking:
        ranking_tables.append(
            (f"{quarter_label(b.current_quarter)}(暂定,截至本月)", b.current_ranking)
        )
    carrier_tables = [
        ("单位面积税收最高的五个载体", b.carriers_best),
        ("单位面积税收最低的五个载体", b.carriers_worst),
    ]
    return (
        environment()
        .get_template("bulletin.html.j2")
        .render(
            b=b,
            charts=_charts(b),
            ranking_tables=ranking_tables,
            carrier_tables=carrier_tables,
            cap=rules.get("scorecard_cap"),
            penalties={
                "red": rules.get("scorecard_penalty_red"),
                "yellow": rules.get("scorecard_penalty_yellow"),
                "gap": rules.get("scorecard_penalty_gap"),
                "max": rules.get("scorecard_penalty_max"),
            },
            final_day=rules.get("scorecard_final_day"),
        )
    )
