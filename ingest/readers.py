"""Readers for the three delivery formats. Each yields the header and then rows of strings
with their line numbers; parsing values into types happens later, in SQL, for the whole batch.

A CSV file takes a fast path (blocks of it parsed by polars, ingest/frames.py); these readers
serve the CSV files polars would read differently (ragged rows, blank lines) and every XLSX and
JSONL file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

Row = tuple[int, list[str]]

BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 1 << 20


class FileRejected(Exception):
    """The whole file is refused: nothing of it loads."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CsvLayout:
    codec: str  # Python codec
    pg_encoding: str  # the same, as PostgreSQL names it
    header: list[str]
    data_offset: int  # byte offset of the first data row


def sniff_encoding(head: bytes) -> tuple[str, str, int]:
    """(python codec, PostgreSQL encoding, BOM length). UTF-8 unless the bytes say otherwise;
    department exports that are not UTF-8 are GBK, read as its superset GB18030."""
    if head.startswith(BOM):
        return "utf-8", "UTF8", len(BOM)
    try:
        head.decode("utf-8")
        return "utf-8", "UTF8", 0
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the sniff window
            return "utf-8", "UTF8", 0
    return "gb18030", "GB18030", 0


def csv_layout(path: Path, codec: str | None = None) -> CsvLayout:
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise FileRejected("empty_file", "the file has no header row")
    sniffed, pg_enc, bom = sniff_encoding(head)
    if codec is not None:
        sniffed, pg_enc = codec, {"utf-8": "UTF8", "gb18030": "GB18030"}[codec]
    end = head.find(b"\n", bom)
    first_line = head[bom : end if end >= 0 else len(head)]
    try:
        text = first_line.decode(sniffed)
    except UnicodeDecodeError as exc:
        raise FileRejected("undecodable", f"header is not {sniffed}: {exc}") from exc
    header = next(csv.reader([text.rstrip("\r")]), [])
    offset = end + 1 if end >= 0 else len(head)
    return CsvLayout(sniffed, pg_enc, header, offset)


def csv_rows(path: Path, layout: CsvLayout) -> Iterator[Row]:
    """Rows after the header, line numbers counting the header as line 1."""
    with open(path, "rb") as raw:
        raw.seek(layout.data_offset)
        text = io.TextIOWrapper(raw, encoding=layout.codec, errors="strict", newline="")
        reader = csv.reader(text)
        try:
            for index, values in enumerate(reader, start=2):
                if values:
                    yield index, values
        except UnicodeDecodeError as exc:
            raise FileRejected("undecodable", f"not valid {layout.codec}: {exc}") from exc
        except csv.Error as exc:
            raise FileRejected(
                "unparseable", f"CSV error near line {reader.line_num}: {exc}"
            ) from exc


def _datetime_text(value: datetime) -> str:
    return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")


def _float_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:.10f}".rstrip("0").rstrip(".")


# A cell's text by its type (looked up, not tested type by type: a registry snapshot has a few
# hundred thousand cells that are not text); any other type as str() gives it.
_CELL_TEXT = {
    type(None): lambda _: "",
    datetime: _datetime_text,
    date: date.isoformat,
    float: _float_text,
}


def _cell(value: object) -> str:
    return _CELL_TEXT.get(type(value), str)(value)


def xlsx_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    """The first sheet; header in row 1; line numbers are sheet row numbers. Read with
    calamine (Rust), an order of magnitude faster than openpyxl; dates come as date cells or
    Excel serials (numbers), both kept as delivered for the SQL date parser."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_index(0).iter_rows()
        header = [_cell(v).strip() for v in next(rows, ())]
    except Exception as exc:  # calamine raises several types for a corrupt file
        raise FileRejected("unparseable", f"not a readable XLSX workbook: {exc}") from exc
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileRejected("empty_file", "the first sheet has no header row")

    def body() -> Iterator[Row]:
        # calamine yields every row from the sheet's first (row 1), blank ones included
        try:
            for index, values in enumerate(rows, start=2):
                cells = [v if type(v) is str else _cell(v) for v in values]
                if any(cells):
                    yield index, cells
        finally:
            book.close()

    return header, body()


def jsonl_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    """One object per line; the header is every key seen, in first-seen order."""
    keys: dict[str, None] = {}
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, start=1):
                if line.strip():
                    obj = json.loads(line)
                    if not isinstance(obj, dict):
                        raise ValueError(f"line {line_no} is not a JSON object")
                    keys.update(dict.fromkeys(obj))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileRejected("unparseable", f"not valid JSON Lines: {exc}") from exc
    if not keys:
        raise FileRejected("empty_file", "no JSON object in the file")
    header = list(keys)

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def body() -> Iterator[Row]:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, start=1):
                if line.strip():
                    obj = json.loads(line)
                    yield line_no, [text(obj.get(k)) for k in header]

    return header, body()
