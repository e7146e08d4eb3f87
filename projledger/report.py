"""Plain-text tables for the terminal (the data team's view, in English)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def batch_table(results) -> str:
    if not results:
        return "no new files"
    return table(
        ["file", "status", "rows", "loaded", "quarantined", "events", "reason"],
        [
            (
                r.file_name,
                r.status,
                r.rows_total,
                r.rows_loaded,
                r.rows_rejected,
                r.events_added,
                r.reason or "",
            )
            for r in results
        ],
    )
