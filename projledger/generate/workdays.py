"""Working days as the State Council's yearly holiday notices define them (法定节假日 and the
weekend days worked in exchange, 调休), from the `chinese_calendar` package; a year the
package does not know yet falls back to Monday to Friday, as the warehouse's calendar does."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar


@cache
def is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def working_days(after: date, through: date) -> int:
    """Working days after `after` up to and including `through` (a same-day decision is 0)."""
    n, d = 0, after + timedelta(days=1)
    while d <= through:
        n += is_workday(d)
        d += timedelta(days=1)
    return n


def accepted_for(as_of: date, n: int) -> date:
    """The latest working day from which as_of is exactly `n` working days later."""
    d, w = as_of, 0
    while w < n:
        w += is_workday(d)
        d -= timedelta(days=1)
    while not is_workday(d):
        d -= timedelta(days=1)
    return d
