"""Working-day arithmetic for the generator, on the warehouse's own calendar
(projledger.calendar: the State Council's notices, Monday to Friday for a year they lack)."""

from __future__ import annotations

from datetime import date, timedelta

from projledger.calendar import is_workday


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
