"""Streaming writers: one row at a time to CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX or
JSONL, each file in a style (headers, date and number formats, column order, unknown extra
columns) like real department exports. Byte-for-byte deterministic.

XLSX is written directly as SpreadsheetML (inline strings, a date style): openpyxl's
write-only mode costs ~20 us a cell, which made weekly full registry snapshots the slowest
part of a province-sized history."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from ingest.feeds import contracts as c
from projledger.generate.calendar import EXCEL_EPOCH

ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
XLSX_PARTS = {
    "[Content_Types].xml": _XML
    + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
    ),
    "_rels/.rels": _XML
    + (
        f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": _XML
    + (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": _XML
    + (
        f'<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": _XML
    + (
        f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/>'
        '<name val="Calibri"/></font></fonts><fills count="1"><fill>'
        '<patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
        '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
        '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(n):
        s, k = "", i + 1
        while k:
            k, r = divmod(k - 1, 26)
            s = chr(65 + r) + s
        out.append(s)
    return out


class XlsxSheet:
    """One sheet streamed to a temporary file, zipped on close."""

    def __init__(self, path: Path, ncols: int):
        self.path = path
        self.letters = _column_letters(ncols)
        self.rows = 0
        self._tmp = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", suffix=".xml", delete=False, dir=path.parent
        )
        self._tmp.write(_XML + f'<worksheet xmlns="{_MAIN}"><sheetData>')

    def append(self, values: list) -> None:
        self.rows += 1
        r = self.rows
        cells = []
        for col, v in zip(self.letters, values, strict=False):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                cells.append(f'<c r="{col}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
            elif isinstance(v, date):
                cells.append(f'<c r="{col}{r}" s="1"><v>{(v - EXCEL_EPOCH).days}</v></c>')
            else:
                cells.append(f'<c r="{col}{r}"><v>{v}</v></c>')
        self._tmp.write(f'<row r="{r}">{"".join(cells)}</row>')

    def close(self) -> None:
        self._tmp.write("</sheetData></worksheet>")
        self._tmp.close()
        try:
            with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as z:
                for name, text in XLSX_PARTS.items():
                    z.writestr(self._info(name), text)
                with (
                    open(self._tmp.name, "rb") as src,
                    z.open(self._info("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as dst,
                ):
                    shutil.copyfileobj(src, dst, 1 << 20)
        finally:
            os.unlink(self._tmp.name)

    @staticmethod
    def _info(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info


class Special:
    """A row that is recorded where it lands (bad row, retraction, exception code...)."""

    __slots__ = ("row", "record", "status", "extra")

    def __init__(
        self,
        row: tuple,
        record: dict | None = None,
        status: str | None = None,
        extra: dict | None = None,
    ):
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
        return {
            "format": self.fmt,
            "encoding": self.encoding if self.fmt == "csv" else None,
            "headers": self.headers,
            "date_format": self.date_fmt,
            "period_format": self.period_fmt,
            "thousands": self.thousands,
            "shuffled": self.order is not None,
            "extra_columns": [h for h, _ in self.extra],
        }


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
            self._csv = csv.writer(
                self._fh, lineterminator="\r\n" if style.encoding == "gb18030" else "\n"
            )
            self._csv.writerow(self.header)
        elif style.fmt == "jsonl":
            self._fh = open(path, "w", encoding="utf-8", newline="\n")
        else:
            self._sheet = XlsxSheet(path, len(self.header))
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
            self._sheet.close()
        else:
            self._fh.close()
        return self.count
