"""A delivery's cells as a lazy polars frame, whatever its format: `line_no`, `c0` … `cN`
(text as delivered, one per header cell) and `surplus` (the cells beyond the header as a JSON
object `_surplus_<position>` -> cell, or null). Checking and loading read it in chunks, so
memory stays flat with file size.

CSV is scanned by polars straight from the file (UTF-8) or from a UTF-8 copy (GB18030). The
files its scanner would read differently from Python's csv module, ragged rows and blank lines,
are read by the module instead (ingest/readers.py), like every XLSX and JSONL file.
"""

from __future__ import annotations

import codecs
import json
import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest import readers

_ROWS_PER_CHUNK = 50_000
_TRANSCODE_BYTES = 1 << 22


@dataclass(frozen=True)
class Cells:
    header: list[str]
    frame: pl.LazyFrame
    encoding: str | None


def _schema(ncols: int) -> dict[str, pl.DataType]:
    return {f"c{i}": pl.String for i in range(ncols)}


def _empty(ncols: int) -> pl.LazyFrame:
    return pl.LazyFrame(schema={"line_no": pl.Int64, **_schema(ncols), "surplus": pl.String})


def of_rows(ncols: int, rows: Iterator[readers.Row], spill: Path) -> pl.LazyFrame:
    """Rows from a Python reader, written to Arrow files a chunk at a time and scanned back."""
    spill.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    batch: list[tuple[int, list[str], str | None]] = []

    def flush() -> None:
        columns: dict[str, list] = {"line_no": [n for n, _, _ in batch]}
        for i in range(ncols):
            columns[f"c{i}"] = [cells[i] for _, cells, _ in batch]
        columns["surplus"] = [s for _, _, s in batch]
        part = spill / f"rows_{len(parts):05d}.arrow"
        pl.DataFrame(
            columns, schema={"line_no": pl.Int64, **_schema(ncols), "surplus": pl.String}
        ).write_ipc(part)
        parts.append(part)
        batch.clear()

    padding = [""] * ncols
    for line_no, values in rows:
        if len(values) >= ncols:
            # cells beyond the header are kept with the row, never dropped silently
            surplus = {f"_surplus_{i}": v for i, v in enumerate(values[ncols:], start=ncols + 1)}
            batch.append(
                (
                    line_no,
                    values[:ncols],
                    json.dumps(surplus, ensure_ascii=False) if surplus else None,
                )
            )
        else:
            batch.append((line_no, (values + padding)[:ncols], None))
        if len(batch) == _ROWS_PER_CHUNK:
            flush()
    if batch:
        flush()
    return pl.scan_ipc(parts) if parts else _empty(ncols)


def _scan(source: Path, ncols: int, skip_lines: int) -> pl.LazyFrame:
    return (
        pl.scan_csv(
            source,
            has_header=False,
            skip_lines=skip_lines,
            schema=_schema(ncols),
            quote_char='"',
            encoding="utf8",
        )
        .with_row_index("line_no", offset=2)
        .select(
            pl.col("line_no").cast(pl.Int64),
            *[pl.col(f"c{i}") for i in range(ncols)],
            pl.lit(None, pl.String).alias("surplus"),
        )
    )


def _has_blank_line(path: Path, offset: int) -> bool:
    """A blank line is skipped by the csv module (its line still counted) but read by the
    scanner as a row of nulls; such files take the module's path."""
    if path.stat().st_size <= offset:
        return False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        head = data[offset : offset + 2]
        return (
            head[:1] == b"\n"
            or head == b"\r\n"
            or data.find(b"\n\n", offset) >= 0
            or data.find(b"\n\r\n", offset) >= 0
        )


def _utf8_copy(path: Path, layout: readers.CsvLayout, spill: Path) -> Path:
    """The rows of a GB18030 file re-encoded as UTF-8 (the scanner reads only UTF-8);
    UnicodeDecodeError when the bytes are not GB18030."""
    spill.mkdir(parents=True, exist_ok=True)
    target = spill / "utf8.csv"
    decoder = codecs.getincrementaldecoder(layout.codec)(errors="strict")
    with open(path, "rb") as src, open(target, "wb") as dst:
        src.seek(layout.data_offset)
        for chunk in iter(lambda: src.read(_TRANSCODE_BYTES), b""):
            dst.write(decoder.decode(chunk).encode())
        dst.write(decoder.decode(b"", final=True).encode())
    return target


class ScanRefused(Exception):
    """The scanner stopped on the file (ragged rows, bytes that are not UTF-8)."""


def csv_attempts(path: Path, spill: Path) -> Iterator[Cells]:
    """Ways to read a CSV file, best first; the loader takes the next one when a way fails
    with ScanRefused or polars' ComputeError. The sniffed encoding comes first, the other
    one second; a file neither reads as is rejected (`undecodable`)."""
    sniffed = readers.csv_layout(path)
    other = "gb18030" if sniffed.codec == "utf-8" else "utf-8"
    for codec in (sniffed.codec, other):
        try:
            layout = readers.csv_layout(path, codec=codec)
        except readers.FileRejected:
            break
        ncols = len(layout.header)
        if path.stat().st_size <= layout.data_offset:
            yield Cells(layout.header, _empty(ncols), layout.codec)
            return
        if not _has_blank_line(path, layout.data_offset):
            if layout.codec == "utf-8":
                yield Cells(layout.header, _scan(path, ncols, 1), layout.codec)
            else:
                try:
                    copy = _utf8_copy(path, layout, spill / codec)
                except UnicodeDecodeError:
                    continue
                yield Cells(layout.header, _scan(copy, ncols, 0), layout.codec)
        try:
            rows = of_rows(ncols, readers.csv_rows(path, layout), spill / f"{codec}-rows")
        except readers.FileRejected as rejected:
            if rejected.reason != "undecodable":
                raise
            continue
        yield Cells(layout.header, rows, layout.codec)
        return
    raise readers.FileRejected("undecodable", "the file is neither valid UTF-8 nor GB18030/GBK")


def other_cells(path: Path, fmt: str, spill: Path) -> Cells:
    reader = readers.xlsx_rows if fmt == "xlsx" else readers.jsonl_rows
    header, rows = reader(path)
    return Cells(
        header,
        of_rows(len(header), rows, spill / "rows"),
        "utf-8" if fmt == "jsonl" else None,
    )
