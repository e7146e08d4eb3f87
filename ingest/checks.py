"""The checks of one delivery, as polars expressions over a chunk of its cells
(ingest/frames.py): per row the trimmed values, the typed values (as the text COPY reads them),
the retraction flag, the cells no contract column names, and the problem, the number of the
first failing check (null for a good row), put into words for the bad rows only
('reason', 'column (中文): value').

Dates, periods and odd numbers are read by the SQL parsers of 002_parsers.sql once per distinct
value of the file, as the chunks stream (ParsedValues); each chunk's values are replaced by
what they read as. Credit codes are checked here once per distinct value of a chunk: a tax
file holds about one code in three rows, and joining each chunk to every code of the file
cost more than the check.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from ingest.feeds import contracts as c
from ingest.feeds.contracts import Feed
from projledger import reference

# A plain decimal, its digits grouped by thousands or not (nearly every amount), needs no
# parser: its commas and trailing zeros are dropped here as parse_number drops them, so
# 23,500.00 and 23500 are one value. Any other form (a sign, a leading point) goes to SQL.
_PLAIN_NUMBER = r"^([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?$"

# Dates as ISO text whatever the server's DateStyle: the facts carry them as day numbers
# (ingest/binary_copy.py).
_PARSERS = {
    c.DATE: "to_char(ledger.parse_date(v), 'YYYY-MM-DD')",
    c.PERIOD: "to_char(ledger.parse_period(v), 'YYYY-MM-DD')",
    c.NUMBER: "ledger.parse_number(v)::text",
}

# Each byte's value in the credit-code alphabet (-1 outside it), and the weights of its first 17.
_CREDIT_VALUE = np.full(256, -1, np.int64)
_CREDIT_VALUE[np.frombuffer(c.CREDIT_ALPHABET.encode("ascii"), np.uint8)] = np.arange(31)
_CREDIT_WEIGHTS = np.array(c.CREDIT_WEIGHTS, np.int64)


def credit_codes_ok(codes: pl.Series, exceptions: frozenset[str]) -> pl.Series:
    """GB 32100-2015, built from the contract's alphabet and weights: well formed and the 18th
    character's value equal to 31 - (sum of value x weight mod 31), 31 read as 0; or an
    exception. The sums are taken in numpy over the codes' bytes (a well-formed code is 18
    ASCII characters): per character in polars they cost a tax file about 0.4 s in 1M rows."""
    well_formed = codes.str.contains(c.PATTERNS[c.CREDIT_CODE]).fill_null(False)
    text = codes.filter(well_formed).str.join("").item() or ""
    values = _CREDIT_VALUE[np.frombuffer(text.encode("ascii"), np.uint8).reshape(-1, 18)]
    check = (31 - values[:, :17] @ _CREDIT_WEIGHTS % 31) % 31
    ok = np.zeros(len(codes), bool)
    ok[well_formed.to_numpy()] = check == values[:, 17]
    return pl.Series(codes.name, ok) | codes.is_in(sorted(exceptions)).fill_null(False)


def _r(name: str) -> str:
    return f"r_{name}"


def _t(name: str) -> str:
    return f"t_{name}"


def _p(name: str) -> str:
    return f"p_{name}"


def _key(feed: Feed, value: Callable[[str], str]) -> pl.Expr:
    """A row's key: its key columns' values (typed `_t`, or as delivered `_r`) joined by '|'."""
    return pl.concat_str([pl.col(value(k)) for k in feed.key], separator="|", ignore_nulls=True)


def _trimmed(cell: pl.Expr) -> pl.Expr:
    # SQL's btrim: spaces only, then blank is null (a when/then copied every string: 0.2 s of a
    # 1M-row tax file)
    return cell.str.strip_chars(" ").replace("", None)


def trimmed_frame(feed: Feed, positions: dict[str, int], cells: pl.DataFrame) -> pl.DataFrame:
    def value(name: str) -> pl.Expr:
        if name not in positions:
            return pl.lit(None, pl.String)
        return _trimmed(pl.col(f"c{positions[name]}"))

    return cells.with_columns(
        *[value(col.name).alias(_r(col.name)) for col in feed.columns],
        value(c.RECORD_STATUS).is_in(list(c.RETRACT_VALUES)).fill_null(False).alias("is_retract"),
    )


def _distinct(col: c.Column, positions: dict[str, int]) -> pl.Expr | None:
    """The distinct values of a column read once each in SQL, or None for a column checked
    within its chunk."""
    if col.name not in positions or col.kind not in _PARSERS:
        return None
    r = pl.col(_r(col.name))
    if col.kind == c.NUMBER:
        r = r.filter(~r.str.contains(_PLAIN_NUMBER))
    return r.drop_nulls().unique()


# (a parser's SQL over `v`, distinct values) -> (value, what it reads as: text, or None when
# unreadable) for each (ingest/side.py)
Parse = Callable[[str, list[str]], list[tuple[str, str | None]]]


class ParsedValues:
    """What the values of the columns read by the SQL parsers (dates, periods, odd numbers)
    read as, each distinct value of a delivery sent to `parse` once, when the first chunk
    holding it arrives. Memory follows the distinct values, not the rows; and no pass over
    the file is needed before its rows stream. Each chunk is looked up only in what its own
    values read as: joined to every value known so far, a file of a million distinct odd
    values cost a little more with every chunk (a province tax file took 64 s to load)."""

    def __init__(self, feed: Feed, positions: dict[str, int], parse: Parse):
        self._feed = feed
        self._parse = parse
        wanted = ((col.name, _distinct(col, positions)) for col in feed.columns)
        self._wanted = {name: expr for name, expr in wanted if expr is not None}
        self._known: dict[str, dict[str, str | None]] = {name: {} for name in self._wanted}

    @property
    def columns(self) -> set[str]:
        return set(self._wanted)

    def joined(self, trimmed: pl.DataFrame) -> pl.DataFrame:
        """The trimmed chunk with p_<column> beside each looked-up column (null where the
        chunk holds nothing to look up: a blank, or a plain number)."""
        distinct = trimmed.select(
            *[expr.implode().alias(name) for name, expr in self._wanted.items()]
        ).row(0)
        read = []
        for name, values in zip(self._wanted, distinct, strict=True):
            known = self._known[name]
            new = [v for v in values if v not in known]
            if new:
                known.update(self._parse(_PARSERS[self._feed.column(name).kind], new))
            column = pl.col(_r(name))
            read.append(
                column.replace_strict(
                    values, [known[v] for v in values], default=None, return_dtype=pl.String
                ).alias(_p(name))
                if values
                else pl.lit(None, pl.String).alias(_p(name))
            )
        return trimmed.with_columns(read)


def _quoted(r: pl.Expr) -> pl.Expr:
    """SQL's quote_literal: quotes doubled, and backslashes doubled behind an E prefix."""
    body = r.str.replace_all("\\", "\\\\", literal=True).str.replace_all("'", "''", literal=True)
    quoted = pl.concat_str(pl.lit("'"), body, pl.lit("'"))
    return pl.when(r.str.contains("\\", literal=True)).then(pl.lit("E") + quoted).otherwise(quoted)


def _value_set(col: c.Column) -> list[str]:
    if not col.refs:
        return list(col.choices)
    return [v for ref in col.refs for v in reference.values(ref)]


def _typed(col: c.Column, looked_up: set[str]) -> pl.Expr:
    """The typed value as the text COPY reads into the column's type (null when unreadable)."""
    r = pl.col(_r(col.name))
    # a column with no value to look up (absent, blank, or only plain numbers) reads as null
    parsed = pl.col(_p(col.name)) if col.name in looked_up else pl.lit(None, pl.String)
    if col.kind in (c.DATE, c.PERIOD):
        return parsed
    if col.kind == c.NUMBER:
        # a plain decimal's commas, then its trailing zeros (and then its point) stripped
        # without a regex
        digits = r.str.replace_all(",", "", literal=True)
        fraction = r.str.contains(".", literal=True)
        plain = (
            pl.when(fraction)
            .then(digits.str.strip_chars_end("0").str.strip_suffix("."))
            .otherwise(digits)
        )
        return pl.when(r.str.contains(_PLAIN_NUMBER)).then(plain).otherwise(parsed)
    return r


def _checks(col: c.Column, looked_up: set[str]) -> list[tuple[str, pl.Expr]]:
    """(reason, condition) tried in order on a non-blank value."""
    r, t = pl.col(_r(col.name)), pl.col(_t(col.name))
    out: list[tuple[str, pl.Expr]] = []
    if col.kind == c.PROJECT_CODE:
        out.append(("invalid_project_code", ~r.str.contains(c.PROJECT_CODE_PATTERN)))
    elif col.kind == c.CREDIT_CODE:
        out.append(("invalid_credit_code", ~pl.col(_p(col.name)).fill_null(True)))
    elif col.kind == c.STREET_CODE:
        out.append(("unknown_street", ~r.is_in(list(reference.values("streets.street_code")))))
    elif col.kind in (c.DATE, c.PERIOD):
        out.append(("invalid_date", t.is_null()))
    elif col.kind == c.NUMBER:
        out.append(("invalid_number", t.is_null()))
        if col.positive:
            out.append(("invalid_number", t.cast(pl.Float64, strict=False) <= 0))
    elif col.kind == c.CHOICE:
        out.append(("unknown_code_value", ~r.is_in(_value_set(col))))
    if col.pattern:
        out.append(("unknown_code_value", ~r.str.contains(col.pattern)))
    return out


def _blank_checks(col: c.Column, required: bool) -> list[tuple[str, pl.Expr]]:
    """Checks of a blank value: required always, or only on rows where another column holds
    one of the values that make it required."""
    r = pl.col(_r(col.name))
    if required:
        return [("missing_required", r.is_null())]
    if col.required_when:
        other, values = col.required_when
        return [("missing_required", r.is_null() & pl.col(_r(other)).is_in(list(values)))]
    return []


def _failures(feed: Feed, looked_up: set[str]) -> list[tuple[str, c.Column, pl.Expr]]:
    """(reason, column, condition) of every check, in the order they are tried. A retraction
    only needs its key."""
    out = []
    for col in feed.columns:
        r = pl.col(_r(col.name))
        checks = list(_blank_checks(col, col.name in feed.required))
        checks += [(reason, r.is_not_null() & cond) for reason, cond in _checks(col, looked_up)]
        for reason, cond in checks:
            if col.name not in feed.key:
                cond = ~pl.col("is_retract") & cond
            out.append((reason, col, cond.fill_null(False)))
    return out


def _problem(feed: Feed, looked_up: set[str]) -> pl.Expr:
    """The number of the first failing check, or null for a good row: a number is cheap to
    carry for a million rows; the words are written for the bad ones (quarantined)."""
    chain = None
    for number, (_, _, cond) in enumerate(_failures(feed, looked_up)):
        chain = (pl.when if chain is None else chain.when)(cond).then(pl.lit(number, pl.Int16))
    return pl.lit(None, pl.Int16) if chain is None else chain.otherwise(None)


def _cells_object(header: list[str], positions: list[int]) -> pl.Expr:
    """The cells at `positions` as a JSON object under their headers (a repeated header keeps
    its last cell), with the cells beyond the header merged in; null when there are none."""
    named: dict[str, int] = {}
    for i in positions:
        name = header[i] or f"column_{i + 1}"
        named.pop(name, None)
        named[name] = i
    surplus = pl.col("surplus")
    if not named:
        return surplus
    base = pl.struct(
        *[pl.col(f"c{i}").alias(name) for name, i in named.items()]
    ).struct.json_encode()
    both = pl.concat_str(base.str.strip_suffix("}"), pl.lit(","), surplus.str.strip_prefix("{"))
    return pl.when(surplus.is_null()).then(base).otherwise(both)


def _extra(header: list[str], positions: dict[str, int]) -> pl.Expr:
    """Cells the contract does not name (unknown columns, cells beyond the header) as a JSON
    object header -> cell; null when the file has none."""
    known = set(positions.values())
    return _cells_object(header, [i for i in range(len(header)) if i not in known])


def _credit_checked(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """The chunk with p_<name>: whether each credit code is valid, checked once per distinct
    code of the chunk (null where the cell is blank)."""
    r = _r(name)
    codes = frame.get_column(r).drop_nulls().unique()
    ok = credit_codes_ok(codes, reference.credit_code_exceptions())
    return frame.with_columns(
        pl.col(r).replace_strict(codes, ok, default=None, return_dtype=pl.Boolean).alias(_p(name))
    )


def checked_frame(
    feed: Feed,
    header: list[str],
    positions: dict[str, int],
    trimmed: pl.DataFrame,
    parsed: ParsedValues,
) -> pl.DataFrame:
    """Every row with its problem, typed values, natural key and extra cells, and for the
    quarantine its cells and trimmed values."""
    frame = parsed.joined(trimmed)
    for col in feed.columns:
        if col.kind == c.CREDIT_CODE:
            frame = _credit_checked(frame, col.name)
    looked_up = parsed.columns
    frame = frame.with_columns(
        *[_typed(col, looked_up).alias(_t(col.name)) for col in feed.columns]
    )

    return frame.select(
        "line_no",
        "is_retract",
        _problem(feed, looked_up).alias("problem"),
        _key(feed, _t).alias("natural_key"),
        # A retraction names its key (checked like any key) and carries no other value: every
        # fact of a key then lies in that key's period, which the readers of the store rely on.
        *[
            (
                pl.col(_t(col.name))
                if col.name in feed.key
                else pl.when(pl.col("is_retract")).then(None).otherwise(pl.col(_t(col.name)))
            ).alias(col.name)
            for col in feed.columns
        ],
        _extra(header, positions).alias("extra"),
        *[pl.col(f"c{i}") for i in range(len(header))],
        "surplus",
        *[pl.col(_r(col.name)) for col in feed.columns],
    )


def quarantined(feed: Feed, header: list[str], bad: pl.DataFrame) -> pl.DataFrame:
    """Bad rows as ledger.rejected_row reads them: the reason, the detail 'column (中文):
    value', every cell under its original header (for the people who fix it) and the key as
    delivered."""
    failures = _failures(feed, set())  # the same checks in the same order; only words here
    problem = pl.col("problem")
    detail = None
    for number, (_, col, _) in enumerate(failures):
        text = pl.concat_str(
            pl.lit(f"{col.name} ({col.zh}): "),
            pl.coalesce(_quoted(pl.col(_r(col.name))), pl.lit("blank")),
        )
        detail = (pl.when if detail is None else detail.when)(problem == number).then(text)
    return bad.select(
        "line_no",
        problem.replace_strict(range(len(failures)), [reason for reason, _, _ in failures]).alias(
            "reason"
        ),
        detail.alias("detail"),
        _cells_object(header, list(range(len(header)))).alias("raw"),
        # the key as delivered: in a snapshot it is present even when its row is bad (built
        # here, for the bad rows only, it cost a tax file 0.15 s of 1M rows)
        _key(feed, _r).alias("natural_key"),
    )
