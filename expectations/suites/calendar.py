"""The working-day calendar needs its yearly update (rules.md "Working days"): every year the
night counts working days in (the as_of year, and each year a pending approval has been running
through) must come from the State Council's notice, not from the Monday-Friday fallback the
calendar uses for a year its package does not know yet. The check fails naming those years;
the fix is upgrading `chinese-calendar` once the notice of the new year is out (each December).

The years and their source are read here and handed to GX as a small constant batch, so the
check runs even on a warehouse whose marts are not built yet."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.suites import SuiteSpec
from projledger.calendar import SCHEMA, SOURCE_NOTICE, TABLE

MISSING = "missing"


def _exists(cur, relation: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (relation,))
    return bool(cur.fetchone()[0])


def needed_years(conn, as_of: date) -> list[int]:
    """The as_of year and every year a pending approval item has been counting through."""
    years = {as_of.year}
    with conn.cursor() as cur:
        if _exists(cur, "marts.fct_approval"):
            cur.execute(
                """select distinct extract(year from accepted_on)::int from marts.fct_approval
                   where status = 'pending' and accepted_on is not null and accepted_on <= %s""",
                (as_of,),
            )
            for (first,) in cur.fetchall():
                years.update(range(first, as_of.year + 1))
    return sorted(years)


def year_sources(conn, years: list[int]) -> dict[int, str]:
    """The calendar's source for each year (`missing` when the calendar lacks the year)."""
    sources = dict.fromkeys(years, MISSING)
    with conn.cursor() as cur:
        if _exists(cur, f"{SCHEMA}.{TABLE}"):
            cur.execute(
                f"""select extract(year from day)::int, min(source) from {SCHEMA}.{TABLE}
                    where extract(year from day)::int = any(%s) group by 1""",
                (years,),
            )
            sources.update(dict(cur.fetchall()))
    return sources


def calendar_suites(conn, as_of: date) -> list[SuiteSpec]:
    sources = year_sources(conn, needed_years(conn, as_of))
    values = ", ".join(f"('{year}', '{source}')" for year, source in sorted(sources.items()))
    query = f"select * from (values {values}) as years (natural_key, source)"
    suite = gx.ExpectationSuite(
        name="calendar",
        expectations=[
            gxe.ExpectColumnValuesToBeInSet(
                column="source",
                value_set=[SOURCE_NOTICE],
                meta={"check": "yearly_update"},
            )
        ],
    )
    return [SuiteSpec(name="calendar", suite=suite, query=query)]
