"""The digest documents themselves (no database): one precision for amounts, HTML escaping of
what departments delivered, spreadsheet formulas neutralised in the CSV, labels from the feed
contracts, templates shipped with the package."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from datetime import date
from pathlib import Path

from alerts.items import GAP, REJECTED, WARNING, Item
from alerts.lifecycle import NEW, OPEN, Digest, Entry
from alerts.owners import Owner
from alerts.render import render
from ingest.feeds.contracts import FEEDS

AS_OF = date(2026, 11, 2)
OWNER = Owner("tjj", "区统计局", "tjj@example.gov.cn", None, "department")
REPO = Path(__file__).resolve().parents[2]


def _digest(*items: Item) -> Digest:
    return Digest("tjj", [Entry(i, NEW, 0) for i in items])


def _csv(rendered) -> list[list[str]]:
    return list(csv.reader(io.StringIO(rendered.attachment.decode("utf-8-sig"))))


LAG = Item(
    WARNING,
    "investment_lag|P|",
    "tjj",
    "investment_lag",
    project_code="2024-320602-39-03-000417",
    project_name="甲项目",
    grade="red",
    detail="2026-09 累计完成投资 22909.88 万元，计划 41654.3210 万元（完成 55.0%）",
)
SHORTFALL = Item(
    WARNING,
    "tax_commitment_shortfall|P|",
    "tjj",
    "tax_commitment_shortfall",
    project_code="2024-320602-39-03-000418",
    grade="yellow",
    detail="2025-10至2026-09 亩均税收 3.1 万元/亩，承诺 12.345678 万元/亩（完成 25.1%）",
)


def test_amounts_print_with_two_decimals():
    r = render(_digest(LAG, SHORTFALL), OWNER, AS_OF)
    for doc in (r.text, r.html, r.attachment.decode("utf-8-sig")):
        assert "累计完成投资 22909.88 万元，计划 41654.32 万元" in doc
        assert "亩均税收 3.10 万元/亩，承诺 12.35 万元/亩" in doc
        amounts = re.findall(r"([\d.]+) ?万元", doc)
        assert amounts and all(re.fullmatch(r"\d+\.\d\d", a) for a in amounts), amounts
    # Percentages and dates are not amounts.
    assert "（完成 55.0%）" in r.text and "2026-09" in r.text


def test_html_escapes_what_departments_delivered():
    evil = Item(
        REJECTED,
        "row-1",
        "tjj",
        "invalid_number",
        AS_OF,
        feed="stats_fai",
        file_name="stats_fai/<b>x</b>.csv",
        line_no=3,
        detail='<script>alert("x")</script>',
    )
    r = render(_digest(evil), OWNER, AS_OF)
    assert "<script>" not in r.html and "<b>x</b>" not in r.html
    assert "&lt;script&gt;" in r.html
    assert '<script>alert("x")</script>' in r.text  # plain text stays as delivered


def test_feed_and_column_labels_come_from_the_contracts():
    gap = Item(GAP, "g-1", "tjj", "missing_feed", AS_OF, feed="stats_enterprise")
    r = render(_digest(gap), OWNER, AS_OF)
    assert f"数据 {FEEDS['stats_enterprise'].zh}" in r.text
    header = _csv(r)[0]
    registry, land = FEEDS["registry"], FEEDS["land"]
    for label in (
        registry.column("project_code").zh,
        registry.column("project_name").zh,
        land.column("parcel_no").zh,
        FEEDS["stats_fai"].column("period").zh,
    ):
        assert label in header
    assert _csv(r)[1][header.index("数据来源")] == FEEDS["stats_enterprise"].zh


def test_csv_neutralises_formulas():
    payloads = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    items = [
        Item(
            REJECTED,
            f"row-{n}",
            "tjj",
            "invalid_number",
            AS_OF,
            feed="stats_fai",
            file_name=f"stats_fai/{n}.csv",
            line_no=n,
            detail=p,
            project_code=p,
        )
        for n, p in enumerate(payloads, 1)
    ]
    neg = Item(WARNING, "w", "tjj", "node_overdue", project_code="P", grade="red", delay_days=-3)
    digest = Digest("tjj", [Entry(i, NEW, 0) for i in items] + [Entry(neg, OPEN, 4)])
    rows = _csv(render(digest, OWNER, AS_OF))
    header, body = rows[0], rows[1:]
    cells = [c for row in body for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], cells
    for payload in payloads:
        assert "'" + payload in cells
    # A number stays a number: the negative delay is written as -3, not as text.
    assert body[-1][header.index("滞后天数")] == "-3"
    assert body[-1][header.index("已持续天数")] == "4"


def test_templates_ship_with_the_package():
    templates = sorted(p.name for p in (REPO / "alerts" / "templates").iterdir())
    assert templates, "no templates"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["alerts"]
    for name in templates:
        assert any(Path("templates", name).match(p) for p in patterns), name
