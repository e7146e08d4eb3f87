"""The store's incremental read (migration 012) finds a touched key's facts by its period: that
holds only while a feed's period, where it has one, is part of its key."""

from ingest.feeds.contracts import FEEDS


def test_a_feed_with_a_period_has_it_in_its_key():
    with_period = {
        name for name, feed in FEEDS.items() if "period" in {c.name for c in feed.columns}
    }
    assert with_period  # tax, the statistics, carriers
    assert {name for name in with_period if "period" not in FEEDS[name].key} == set()
