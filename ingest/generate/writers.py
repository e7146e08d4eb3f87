"""Streaming writers: one row at a time to CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX
(openpyxl write-only) or JSONL, each file in a style (headers, date and number formats,
column order, an unknown extra column) like real department exports. Byte-for-byte
deterministic: XLSX metadata and zip timestamps are fixed."""

from __future__ import annotations

import csv
import json
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ingest.feeds import contracts as c
from ingest.generate.calendar import EXCEL_EPOCH

FIXED_TIME = datetime(2020, 1, 1)


class Special:
    """A row that is recorded where it lands (bad row, retraction, exception code...)."""

    __slots__ = ("row", "record", "status", "extra")

    def __init__(self, row: tuple, record: dict | None = None, status: str | None = None,
                 extra: dict | None = None):
        self.row, self.record, self.status, self.extra = row, record, status, extra or {}


@dataclass(frozen=True)
class Style:
    fmt: str  # csv | xlsx | jsonl
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | gb18030 (CSV only)
    headers: str = "zh"  # zh | en
    date_fmt: str = "iso"  # iso | slash | zh | compact | serial | cell (XLSX date cells)
    period_fmt: str = "dash"  # dash | compact | zh
    thousands: bool = False
    order: tuple[int, ...] | None = None  # permutation of the contract's columns
    extra: tuple[tuple[str, str], ...] = ()  # (header, value) of unknown columns
    status_col: bool = False  # carries 状态 / record_status

    def describe(self) -> dict:
        return {"format": self.fmt, "encoding": self.encoding if self.fmt == "csv" else None,
                "headers": self.headers, "date_format": self.date_fmt,
                "period_format": self.period_fmt, "thousands": self.thousands,
                "shuffled": self.order is not None,
                "extra_columns": [h for h, _ in self.extra]}


def fmt_date(d: date, how: str) -> str:
    if how == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if how == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    if how == "compact":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if how == "serial":
        return str((d - EXCEL_EPOCH).days)
    return d.isoformat()


def fmt_period(d: date, how: str) -> str:
    if how == "compact":
        return f"{d.year:04d}{d.month:02d}"
    if how == "zh":
        return f"{d.year}年{d.month}月"
    return f"{d.year:04d}-{d.month:02d}"


class FeedWriter:
    """Writes rows given in the contract's column order; returns line numbers of Specials."""

    def __init__(self, path: Path, feed: c.Feed, style: Style):
        self.path, self.feed, self.style = path, feed, style
        cols = list(feed.columns)
        self.order = list(style.order) if style.order else list(range(len(cols)))
        names = [(col.zh if style.headers == "zh" else col.name) for col in cols]
        self.header = [names[i] for i in self.order]
        if style.status_col:
            self.header.append(c.RECORD_STATUS_ZH if style.headers == "zh" else c.RECORD_STATUS)
        self.header.extend(h for h, _ in style.extra)
        self.kinds = [cols[i].kind for i in self.order]
        self.keys = [cols[i].name for i in self.order]
        self.count = 0
        self._dates: dict[date, object] = {}
        self._periods: dict[date, str] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        if style.fmt == "csv":
            self._fh = open(path, "w", encoding=style.encoding, newline="")
            self._csv = csv.writer(self._fh, lineterminator="\r\n" if style.encoding ==
                                   "gb18030" else "\n")
            self._csv.writerow(self.header)
        elif style.fmt == "jsonl":
            self._fh = open(path, "w", encoding="utf-8", newline="\n")
        else:
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._book.properties.created = FIXED_TIME
            self._book.properties.modified = FIXED_TIME
            self._sheet = self._book.create_sheet("Sheet1")
            self._sheet.append(self.header)

    def _value(self, v, kind: str):
        if v is None:
            return None
        if isinstance(v, str):
            return v
        if kind == c.DATE:
            if self.style.date_fmt == "cell":
                return v
            s = self._dates.get(v)
            if s is None:
                s = self._dates[v] = fmt_date(v, self.style.date_fmt)
            return s
        if kind == c.PERIOD:
            s = self._periods.get(v)
            if s is None:
                s = self._periods[v] = fmt_period(v, self.style.period_fmt)
            return s
        if isinstance(v, float):
            if self.style.fmt == "csv":
                return f"{v:,.2f}" if self.style.thousands else f"{v:.2f}"
            return f"{v:,.2f}" if self.style.thousands else round(v, 2)
        return v

    def write(self, row) -> None:
        self.count += 1
        status = None
        if isinstance(row, Special):
            if row.record is not None:
                row.record["file"] = f"{self.feed.name}/{self.path.name}"
                row.record["line_no"] = self.count if self.style.fmt == "jsonl" else self.count + 1
            status, row = row.status, row.row
        kinds, value = self.kinds, self._value
        out = [value(row[i], kinds[j]) for j, i in enumerate(self.order)]
        if self.style.fmt == "jsonl":
            obj = {k: v for k, v in zip(self.header, out, strict=False)}
            if status:
                obj[c.RECORD_STATUS] = status
            obj.update(self.style.extra)
            self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            return
        if self.style.status_col:
            out.append(status or "")
        out.extend(v for _, v in self.style.extra)
        if self.style.fmt == "csv":
            self._csv.writerow(["" if v is None else v for v in out])
        else:
            self._sheet.append(out)

    def close(self) -> int:
        if self.style.fmt == "xlsx":
            tmp = self.path.with_suffix(".tmp")
            self._book.save(tmp)
            _fix_zip_times(tmp, self.path)
            os.unlink(tmp)
        else:
            self._fh.close()
        return self.count


def _fix_zip_times(src: Path, dst: Path) -> None:
    """Rewrite the archive with fixed entry timestamps so the bytes depend on content only."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z",
                              data)
            zout.writestr(fixed, data)
