"""A delivery's cells as polars frames, a chunk at a time, whatever its format: `line_no`,
`c0` … `cN` (text as delivered, one per header cell) and `surplus` (the cells beyond the header
as a JSON object `_surplus_<position>` -> cell, or null). Memory stays flat with file size.

A CSV is cut into blocks of whole records (a newline outside quotes ends a record) and each
block parsed by polars, straight from the file (UTF-8) or re-encoded as UTF-8 (GB18030); polars'
own scanner reads a whole file into memory first. The files polars would read differently from
Python's csv module, ragged rows and blank lines, are read by the module instead
(ingest/readers.py), like every XLSX and JSONL file, and spilled to Arrow files.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest import readers

_ROWS_PER_CHUNK = 100_000
# 2 MB blocks, measured: a 1M-row tax file loaded in 3.1 to 3.7 s, against 3.4 to 3.8 s with
# 4 MB and 3.5 to 4.5 s with 8 MB (the server's CPU 2.6 to 2.9 s, against 2.8 to 3.1 s with
# 8 MB), and the store waits less for the first block.
_BLOCK_BYTES = 2 << 20


@dataclass(frozen=True)
class Cells:
    header: list[str]
    chunks: Callable[[], Iterator[pl.DataFrame]]  # each call reads the delivery from its start
    encoding: str | None


def _no_chunks() -> Iterator[pl.DataFrame]:
    return iter(())


def _schema(ncols: int) -> dict[str, pl.DataType]:
    return {f"c{i}": pl.String for i in range(ncols)}


def of_rows(
    ncols: int, rows: Iterator[readers.Row], spill: Path
) -> Callable[[], Iterator[pl.DataFrame]]:
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
    return lambda: (pl.read_ipc(part) for part in parts)


def _record_end(block: bytes) -> int:
    """The end of the last whole record in the block (after a newline preceded by an even
    number of quotes), or 0 when the block holds none."""
    end = block.rfind(b"\n")
    while end >= 0:
        if block.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = block.rfind(b"\n", 0, end)
    return 0


# One scan for both line ends: two substring searches took 0.23 s of a 1M-row file, this 0.10 s.
_BLANK_LINE = re.compile(rb"\n\r?\n")


def _has_blank_line(block: bytes) -> bool:
    """A block of whole records beginning with, or holding, an empty line."""
    return block.startswith((b"\n", b"\r\n")) or _BLANK_LINE.search(block) is not None


def _csv_chunks(path: Path, layout: readers.CsvLayout) -> Iterator[pl.DataFrame]:
    """The file's records, a block at a time; a GB18030 block re-encoded as UTF-8 (polars
    reads only UTF-8; a newline or a quote is never part of a GB18030 character, so a block of
    whole records is whole characters too).

    Found block by block as the rows stream, not in a pass over the file before them (the
    store waited for that pass: 4 s for a province tax file copied as UTF-8), each of these
    ends this way of reading the file (ComputeError), and the loader takes the csv module's:
    bytes not of the encoding, and a blank line (skipped by the csv module, its line still
    counted, but read by polars as a row of nulls)."""
    schema = _schema(len(layout.header))
    line_no = 2
    carry = b""
    with open(path, "rb") as fh:
        fh.seek(layout.data_offset)
        while True:
            data = fh.read(_BLOCK_BYTES)
            block = carry + data
            cut = len(block) if not data else _record_end(block)
            block, carry = block[:cut], block[cut:]
            if layout.codec != "utf-8":
                try:
                    block = block.decode(layout.codec).encode()
                except UnicodeDecodeError as exc:
                    raise pl.exceptions.ComputeError(
                        f"not {layout.codec} after line {line_no - 1}"
                    ) from exc
            if _has_blank_line(block):
                raise pl.exceptions.ComputeError(f"a blank line after line {line_no - 1}")
            if block:
                frame = pl.read_csv(
                    io.BytesIO(block),
                    has_header=False,
                    schema=schema,
                    quote_char='"',
                    encoding="utf8",
                )
                yield frame.select(
                    pl.int_range(line_no, line_no + frame.height, dtype=pl.Int64).alias("line_no"),
                    pl.all(),
                    pl.lit(None, pl.String).alias("surplus"),
                )
                line_no += frame.height
            if not data:
                return


def csv_attempts(path: Path, spill: Path) -> Iterator[Cells]:
    """Ways to read a CSV file, best first; the loader takes the next one when a way fails
    with polars' ComputeError (ragged rows, blank lines, bytes not of the encoding). The sniffed
    encoding comes first, the other one second; a file neither reads as is rejected
    (`undecodable`)."""
    sniffed = readers.csv_layout(path)
    other = "gb18030" if sniffed.codec == "utf-8" else "utf-8"
    for codec in (sniffed.codec, other):
        try:
            layout = readers.csv_layout(path, codec=codec)
        except readers.FileRejected:
            break
        ncols = len(layout.header)
        if path.stat().st_size <= layout.data_offset:
            yield Cells(layout.header, _no_chunks, layout.codec)
            return
        yield Cells(layout.header, lambda layout=layout: _csv_chunks(path, layout), layout.codec)
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
