"""Dates of the delivery history: months, Mondays, working days, due dates."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta

EXCEL_EPOCH = date(1899, 12, 30)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    return d.replace(day=monthrange(d.year, d.month)[1])


def next_month(m: date) -> date:
    return add_months(month_start(m), 1)


def months_from(first: date, last: date) -> list[date]:
    """Month starts from first's month through last's month."""
    out, m = [], month_start(first)
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def on_or_before(d: date, weekday: int) -> date:
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def fai_due(m: date) -> date:
    """stats_fai / stats_enterprise for month m are due on day 10 of m+1 (rules.md)."""
    return next_month(m).replace(day=10)


def tax_due(m: date) -> date:
    return next_month(m).replace(day=20)


@dataclass
class Calendar:
    """The delivery history: from `start` (as_of minus `months` months) through as_of."""

    as_of: date
    months: int
    start: date = field(init=False)
    last_monday: date = field(init=False)  # the last milestones/registry delivery
    mondays: list[date] = field(init=False)
    thursdays: list[date] = field(init=False)
    approval_days: list[date] = field(init=False)
    fridays: list[date] = field(init=False)  # leads snapshots
    carrier_days: list[tuple[date, date]] = field(init=False)  # (quarter's last month, day)
    hitech_days: list[date] = field(init=False)

    def __post_init__(self) -> None:
        self.start = add_months(self.as_of, -self.months)
        self.last_monday = on_or_before(self.as_of, 0)
        self.mondays = self._weekly(0)
        self.thursdays = self._weekly(3)
        # Every working day over the last six weeks, weekly (Mondays) before: a realistic
        # daily delta without tens of thousands of tiny files.
        daily_from = self.as_of - timedelta(weeks=6)
        days = [d for d in self.mondays if d < daily_from]
        d = daily_from
        while d <= self.as_of:
            if d.weekday() < 5:
                days.append(d)
            d += timedelta(days=1)
        self.approval_days = sorted(set(days))
        self.fridays = self._weekly(4)
        self.carrier_days = self._carrier_days()
        # Certificates come when they are issued: every other month, on no fixed day.
        self.hitech_days = [
            d
            for m in months_from(self.start, self.as_of)
            if m.month % 2 == 0
            and self.start <= (d := m.replace(day=5 + (m.month * 7) % 17)) <= self.as_of
        ] or [self.as_of]

    def _carrier_days(self) -> list[tuple[date, date]]:
        """The quarterly carriers list, delivered on day 12 of the month after its quarter
        (due by day 15). A history too short to hold one still gets the latest due quarter,
        delivered on its first day (a backfill)."""
        quarters = [
            m for m in months_from(add_months(self.start, -3), self.as_of) if m.month % 3 == 0
        ]
        out = [(q, next_month(q).replace(day=12)) for q in quarters]
        inside = [(q, d) for q, d in out if self.start <= d <= self.as_of]
        if not inside:
            due = [(q, d) for q, d in out if d <= self.as_of]
            inside = [(due[-1][0], self.start)] if due else []
        return inside

    def _weekly(self, weekday: int) -> list[date]:
        out, d = [], on_or_after(self.start, weekday)
        while d <= self.as_of:
            out.append(d)
            d += timedelta(weeks=1)
        return out

    def latest_fai_month(self) -> date:
        """The last month whose stats_fai report is due as of as_of."""
        m = month_start(self.as_of)
        while fai_due(m) > self.as_of:
            m = add_months(m, -1)
        return m

    def latest_tax_month(self) -> date:
        m = month_start(self.as_of)
        while tax_due(m) > self.as_of:
            m = add_months(m, -1)
        return m


def first_on_or_after(days: list[date], d: date) -> date | None:
    """The first delivery day on or after d (days sorted)."""
    import bisect

    i = bisect.bisect_left(days, d)
    return days[i] if i < len(days) else None
