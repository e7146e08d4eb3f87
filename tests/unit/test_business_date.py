"""The default business date is written once (projledger.settings.default_as_of): yesterday in
the district's time zone, not on the machine's clock zone."""

from datetime import UTC, date, datetime

from projledger.settings import default_as_of


def test_default_as_of_is_yesterday_in_the_district():
    # 17:30 UTC on 30 Nov is 01:30 on 1 Dec in Nantong: the night closing 30 Nov.
    assert default_as_of(datetime(2026, 11, 30, 17, 30, tzinfo=UTC)) == date(2026, 11, 30)
    # 15:30 UTC on 30 Nov is still 30 Nov (23:30) there: yesterday is 29 Nov.
    assert default_as_of(datetime(2026, 11, 30, 15, 30, tzinfo=UTC)) == date(2026, 11, 29)
