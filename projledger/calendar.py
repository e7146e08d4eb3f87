"""The working-day calendar the warehouse joins to (rules.md "Working days").

Working days follow the State Council's yearly holiday notice (法定节假日 and the weekend days
worked in exchange, 调休), which the `chinese_calendar` package carries for the years it knows.
A year it does not know yet falls back to Monday-Friday, marked `source = 'weekday_fallback'`,
and the quality check `calendar.yearly_update` (expectations/suites/calendar.py) reports it.

dbt-postgres runs no Python models, so the table (ref.work_calendar) is written here, before
every dbt command that reaches the database (projledger.dbt_runner), and dbt reads it as the
source `calendar.work_calendar`. Writing is an idempotent upsert: a date's row depends on the
date and the package's notices only, never on the run's as_of.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

import chinese_calendar
from psycopg2.extras import execute_values

SCHEMA = "ref"
TABLE = "work_calendar"
SOURCE_NOTICE = "state_council"
SOURCE_FALLBACK = "weekday_fallback"
# Approvals and leads older than this are not expected; earlier dates fall outside the table.
FIRST_YEAR = 2000
# Years written beyond the run's year: pending items and plans may reach into the next year.
YEARS_AHEAD = 1
# The package is probed up to this year for the notices it carries (no clock is read).
LAST_YEAR_PROBED = 2100
_LOCK_KEY = 7_202_614  # advisory lock: one calendar writer at a time


@cache
def known_years() -> frozenset[int]:
    """The years whose holiday notice the installed package carries."""
    years = set()
    for year in range(FIRST_YEAR, LAST_YEAR_PROBED + 1):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


def day_row(day: date) -> tuple[date, bool, str | None, str]:
    """(day, is_workday, holiday_name, source) of one date. holiday_name names the statutory
    holiday a date belongs to (also a worked weekend day swapped for it), in English."""
    if day.year in known_years():
        _, name = chinese_calendar.get_holiday_detail(day)
        return day, chinese_calendar.is_workday(day), name, SOURCE_NOTICE
    return day, day.weekday() < 5, None, SOURCE_FALLBACK


@cache
def is_workday(day: date) -> bool:
    """A working day by the State Council's notice, or Monday-Friday in a year it lacks."""
    return day_row(day)[1]


def calendar_rows(first_year: int, last_year: int) -> list[tuple[Any, ...]]:
    day, end = date(first_year, 1, 1), date(last_year, 12, 31)
    rows = []
    while day <= end:
        rows.append(day_row(day))
        day += timedelta(days=1)
    return rows


def last_year_for(as_of: date | None) -> int:
    year = (as_of or date.today()).year
    return max(year, max(known_years(), default=year)) + YEARS_AHEAD


def write_calendar(conn, last_year: int, first_year: int = FIRST_YEAR) -> int:
    """Create the table if needed and upsert every date of the years; returns the number of
    dates. A row is rewritten only when it differs (a package update that learnt a new year)."""
    rows = calendar_rows(first_year, last_year)
    with conn.cursor() as cur:
        # Two nights starting together would race on `create table if not exists`.
        cur.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        cur.execute(
            f"""create schema if not exists {SCHEMA};
                create table if not exists {SCHEMA}.{TABLE} (
                    day          date    primary key,
                    is_workday   boolean not null,
                    holiday_name text,
                    source       text    not null
                        check (source in ('{SOURCE_NOTICE}', '{SOURCE_FALLBACK}'))
                );
                comment on table {SCHEMA}.{TABLE} is
                    '工作日历：国务院办公厅节假日安排（法定节假日与调休上班日）；'
                    '未发布年份按周一至周五（source = weekday_fallback）';"""
        )
        execute_values(
            cur,
            f"""insert into {SCHEMA}.{TABLE} as cal
                    (day, is_workday, holiday_name, source)
                values %s
                on conflict (day) do update set
                    is_workday = excluded.is_workday,
                    holiday_name = excluded.holiday_name,
                    source = excluded.source
                where (cal.is_workday, cal.holiday_name, cal.source) is distinct from
                    (excluded.is_workday, excluded.holiday_name, excluded.source)""",
            rows,
            page_size=2000,
        )
    conn.commit()
    return len(rows)


def ensure_calendar(settings, as_of: date | None) -> int:
    """Write the calendar through the year after as_of (or after the last notice known)."""
    from projledger.db import connect

    conn = connect(settings)
    try:
        return write_calendar(conn, last_year_for(as_of))
    finally:
        conn.close()
