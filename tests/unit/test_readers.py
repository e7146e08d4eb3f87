"""An XLSX cell reaches the checks as the text a department would type for it: a date as
YYYY-MM-DD (with its time when it has one), a whole number without a decimal point, a fraction
without trailing zeros, an empty cell blank; a row of empty cells is no row."""

from __future__ import annotations

from datetime import date, datetime

from ingest.readers import xlsx_rows
from tests.integration.feedfiles import write_xlsx


def test_xlsx_cells_read_as_the_text_they_show(tmp_path):
    path = write_xlsx(
        tmp_path / "cells.xlsx",
        ["text", "date", "datetime", "whole", "fraction", "int", "bool", "empty"],
        [
            [
                "项目",
                date(2025, 3, 1),
                datetime(2025, 3, 1, 10, 30),
                52000.0,
                1234.5,
                7,
                True,
                None,
            ],
            [None] * 8,
            [
                " a ",
                datetime(2025, 3, 1),
                datetime(2025, 3, 1, 0, 0, 5),
                45672,
                0.1 + 0.2,
                -3,
                False,
            ],
        ],
    )
    header, rows = xlsx_rows(path)
    assert header == ["text", "date", "datetime", "whole", "fraction", "int", "bool", "empty"]
    assert list(rows) == [
        (2, ["项目", "2025-03-01", "2025-03-01 10:30:00", "52000", "1234.5", "7", "True", ""]),
        (4, [" a ", "2025-03-01", "2025-03-01 00:00:05", "45672", "0.3", "-3", "False", ""]),
    ]
