"""The bulletin's charts: matplotlib writing SVG, made byte-for-byte reproducible (a fixed hash
salt for the ids, no date in the metadata, glyphs drawn as paths so the file needs no font to be
viewed), with a CJK font for the Chinese labels."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

# Debian's fonts-noto-cjk; the others are what other systems usually have.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei")
ACCENT = "#b22222"
MUTED = "#8c9bab"
BLUE = "#2f5d8a"


def _installed_cjk() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def cjk_family() -> str:
    family = _installed_cjk()
    if family is None:
        # matplotlib caches the system's fonts on first use; fonts installed since are missing
        # from that list until they are added.
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a font matplotlib cannot read
                    continue
        family = _installed_cjk()
    if family is not None:
        return family
    raise RuntimeError(
        "no CJK font for the bulletin's charts: install Debian's fonts-noto-cjk "
        "(apt-get install -y fonts-noto-cjk)"
    )


def _style() -> dict:
    return {
        "font.family": [cjk_family()],
        "font.size": 10,
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "projledger-bulletin",
        "svg.image_inline": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _svg(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue().decode("utf-8")


def data_uri(svg: str) -> str:
    """An SVG as an <img> source: each chart keeps its own ids, nothing is fetched."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def street_scores(
    names: Sequence[str],
    final: Sequence[float | None],
    current: Sequence[float | None] | None,
    final_label: str,
    current_label: str | None,
) -> str:
    """Horizontal bars of the streets' scores, best on top: the last final quarter, and the
    current quarter so far beside it when there is one."""
    with plt.rc_context(_style()):
        height = max(3.0, 0.32 * len(names) + 1.0)
        fig, ax = plt.subplots(figsize=(7.2, height))
        y = list(range(len(names)))
        bar = 0.38 if current is not None else 0.6
        ax.barh(
            [v - (bar / 2 if current is not None else 0) for v in y],
            [v or 0 for v in final],
            height=bar,
            color=BLUE,
            label=final_label,
        )
        if current is not None:
            ax.barh(
                [v + bar / 2 for v in y],
                [v or 0 for v in current],
                height=bar,
                color=MUTED,
                label=current_label,
            )
        ax.set_yticks(y, list(names))
        ax.invert_yaxis()
        ax.set_xlabel("得分(分)")
        ax.axvline(0, color="#444444", linewidth=0.8)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _svg(fig)


def leads_funnel(stages: Sequence[str], counts: Sequence[int], amounts: Sequence[float]) -> str:
    """Leads per stage: counts as bars, the intended investment (亿元) written beside each."""
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7.2, 0.45 * max(len(stages), 1) + 1.0))
        y = list(range(len(stages)))
        ax.barh(y, list(counts), color=[BLUE, ACCENT, "#3c8d5a", MUTED][: len(stages)] or BLUE)
        top = max(list(counts) + [1])
        for i, (n, amount) in enumerate(zip(counts, amounts, strict=True)):
            ax.text(n + top * 0.01, i, f"{n} 个 · {amount / 10000:,.2f} 亿元", va="center")
        ax.set_yticks(y, list(stages))
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.45)
        ax.set_xlabel("线索数(个)")
        return _svg(fig)


def investment_by_month(
    labels: Sequence[str], actual: Sequence[float], plan: Sequence[float]
) -> str:
    """Monthly fixed-asset investment (亿元) against the straight-line plan."""
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7.2, 3.4))
        x = list(range(len(labels)))
        ax.bar(x, [v / 10000 for v in actual], color=BLUE, label="实际完成")
        ax.plot(x, [v / 10000 for v in plan], color=ACCENT, marker="o", linewidth=1.6, label="计划")
        ax.set_xticks(x, list(labels), rotation=0)
        ax.set_ylabel("亿元")
        ax.set_ylim(0, max([v / 10000 for v in [*actual, *plan]] + [0.1]) * 1.15)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _svg(fig)
