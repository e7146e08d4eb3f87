"""The drop folder: <inbox>/<feed>/<YYYYMMDD>[_<n>].<csv|xlsx|jsonl>."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.feeds.contracts import FEED_NAMES

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:_(\d+))?\.(csv|xlsx|jsonl)$", re.IGNORECASE)


@dataclass(frozen=True)
class Delivery:
    feed: str
    path: Path
    delivered_on: date
    seq: int
    fmt: str

    @property
    def file_name(self) -> str:
        return f"{self.feed}/{self.path.name}"


def parse_name(feed: str, path: Path) -> Delivery | None:
    m = _NAME.match(path.name)
    if not m:
        return None
    try:
        delivered = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return Delivery(feed, path, delivered, int(m[4] or 0), m[5].lower())


def discover(
    inbox: Path, feeds: list[str] | None = None, until: date | None = None
) -> list[Delivery]:
    """Every delivery in the inbox, oldest first (by delivery date, then `_<n>`); with
    `until`, only those delivered on or before that date."""
    found = []
    for feed in feeds or FEED_NAMES:
        folder = inbox / feed
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if not path.is_file() or path.name.startswith("."):
                continue
            delivery = parse_name(feed, path)
            if delivery is None:
                log.warning("ignoring %s: not named <YYYYMMDD>[_<n>].<csv|xlsx|jsonl>", path)
                continue
            if until is None or delivery.delivered_on <= until:
                found.append(delivery)
    return sorted(found, key=lambda d: (d.delivered_on, d.seq, d.feed, d.path.name))
