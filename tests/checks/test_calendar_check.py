"""The check "calendar needs its yearly update": it passes while every year the night counts
working days in comes from the State Council's notice, and names the years that fall back to
Monday-Friday (the as_of year, or a year a pending approval has been running through)."""

from __future__ import annotations

from datetime import date

from expectations.checkpoints import get_context, validate
from expectations.suites.calendar import calendar_suites
from projledger.calendar import known_years, write_calendar
from projledger.db import connect

LAST_KNOWN = max(known_years())


def _check(settings, conn, as_of: date):
    (result,) = validate(get_context(settings), calendar_suites(conn, as_of))
    return result


def test_calendar_check_names_fallback_years(settings):
    conn = connect(settings)
    write_calendar(conn, LAST_KNOWN + 1)
    with conn.cursor() as cur:
        cur.execute(
            """create schema if not exists marts;
               create table marts.fct_approval (accepted_on date, status text);
               insert into marts.fct_approval values (%s, 'pending'), (%s, 'decided')""",
            (date(LAST_KNOWN, 12, 1), date(LAST_KNOWN - 3, 1, 1)),
        )
    conn.commit()

    known = _check(settings, conn, date(LAST_KNOWN, 12, 31))
    assert known.check_name == "calendar.yearly_update" and known.success

    # New Year: the package does not know the year yet, and the pending item runs into it.
    stale = _check(settings, conn, date(LAST_KNOWN + 1, 1, 5))
    assert not stale.success
    assert stale.failing_keys == [str(LAST_KNOWN + 1)]

    # A year beyond the calendar is reported too (it is not even in the table).
    beyond = _check(settings, conn, date(LAST_KNOWN + 2, 3, 2))
    assert sorted(beyond.failing_keys) == [str(LAST_KNOWN + 1), str(LAST_KNOWN + 2)]
    conn.close()
