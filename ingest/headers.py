"""Mapping a delivery's header row onto its feed's contract columns."""

from __future__ import annotations

import unicodedata

from ingest.feeds import contracts as c
from ingest.feeds.contracts import Feed


def normalize_header(name: str) -> str:
    # NFKC folds full-width parentheses and spaces that spreadsheet exports love.
    return unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip().lower()


def map_header(feed: Feed, header: list[str]) -> dict[str, int]:
    """canonical column (or record_status) → position in the file; first match wins."""
    names: dict[str, str] = {}
    for col in feed.columns:
        names[normalize_header(col.name)] = col.name
        names[normalize_header(col.zh)] = col.name
    names[c.RECORD_STATUS] = c.RECORD_STATUS
    names[normalize_header(c.RECORD_STATUS_ZH)] = c.RECORD_STATUS
    positions: dict[str, int] = {}
    for i, h in enumerate(header):
        canonical = names.get(normalize_header(h))
        if canonical and canonical not in positions:
            positions[canonical] = i
    return positions


def missing_headers(feed: Feed, positions: dict[str, int]) -> list[str]:
    return [f"{n} ({feed.column(n).zh})" for n in feed.required if n not in positions]
