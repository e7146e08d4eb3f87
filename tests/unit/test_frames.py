"""A CSV read in blocks gives the rows and line numbers Python's csv module gives, whatever the
block size: a block never ends inside a quoted cell."""

from __future__ import annotations

import csv
import random

import polars as pl
import pytest

from ingest import frames, readers


def _write(path, rows, line_end):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=line_end)
        writer.writerow(["统一社会信用代码", "备注", "金额"])
        writer.writerows(rows)


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
@pytest.mark.parametrize("block", [7, 64, 1 << 20])
def test_blocks_split_only_between_records(tmp_path, monkeypatch, line_end, block):
    rng = random.Random(block)
    pieces = ["a", "企业", 'say "hi"', "two\nlines", "comma, inside", "", " padded ", "\r\nx"]
    rows = [[f"r{i}", rng.choice(pieces), rng.choice(pieces)] for i in range(500)]
    path = tmp_path / "tax.csv"
    _write(path, rows, line_end)
    monkeypatch.setattr(frames, "_BLOCK_BYTES", block)

    [cells, *_] = frames.csv_attempts(path, tmp_path / "spill")
    got = pl.concat(cells.chunks())

    layout = readers.csv_layout(path)
    expected = list(readers.csv_rows(path, layout))
    assert got["line_no"].to_list() == [n for n, _ in expected]
    # an empty unquoted cell is null, as COPY reads it; the csv module says ""
    cells_read = got.select(pl.col("c0", "c1", "c2").fill_null("")).rows()
    assert [list(r) for r in cells_read] == [values for _, values in expected]
    assert got["surplus"].null_count() == got.height
