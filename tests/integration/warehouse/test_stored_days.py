"""StoredDays, the rows a check of many days reads once, answers as the reads it stands in for do."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest

from storyblok_traffic.rules.periods import each_day
from storyblok_traffic.warehouse import reads
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.stored_days import StoredDays
from storyblok_traffic.warehouse.writes import write_fetch
from storyblok_traffic.xcom import FetchedTraffic
from tests.integration.warehouse.test_writes import EXAMPLE

LAST = date(2026, 3, 31)
DAYS = [LAST - timedelta(days=i) for i in range(60) if i not in (7, 8, 30)]  # with holes


def _traffic() -> FetchedTraffic:
    """60 days of 20 spaces: space s has 100 * s requests on even days, 5 on odd ones; some bytes unknown."""
    payload = copy.deepcopy(EXAMPLE)
    payload["cumulated_traffic"]["traffic"] = [
        {"date": str(d), "api_requests": 1000 + i, "total_bytes": None if i % 9 == 0 else 7 * i}
        for i, d in enumerate(DAYS)
    ]
    payload["traffic"] = [
        {"date": str(d), "space_id": s, "api_requests": 100 * s if i % 2 == 0 else 5, "total_bytes": None}
        for i, d in enumerate(DAYS)
        for s in range(1, 21)
        if not (s == 20 and i > 40)  # a space that stops
    ]
    return FetchedTraffic("acme", DAYS[-1], LAST, "day", datetime(2026, 4, 1, tzinfo=UTC), payload)


@pytest.fixture
def loaded(engine, schema):
    migrate(engine, schema)
    with begin(engine, schema) as conn:
        fetched = _traffic()
        write_fetch(conn, fetched, fetched.daily())
    return schema


RANGES = [
    (DAYS[-1], LAST),
    (LAST - timedelta(days=6), LAST),
    (LAST - timedelta(days=28), LAST - timedelta(days=3)),
    (date(2020, 1, 1), DAYS[-1]),
]


@pytest.mark.parametrize("spaces_from", [None, DAYS[-1]], ids=["day-by-day", "read-at-once"])
def test_every_answer_equals_its_read(engine, loaded, spaces_from):
    with begin(engine, loaded) as conn:
        stored = StoredDays(conn, "acme", spaces_from, busy_from=1000)
        for first, last in RANGES:
            for meter in ("requests", "bytes"):
                assert stored.daily_usage(first, last, meter) == reads.daily_usage(conn, "acme", first, last, meter)
            assert stored.org_days(first, last) == reads.org_days(conn, "acme", first, last)
            assert stored.days_stored(first, last) == reads.days_stored(conn, "acme", first, last)
            assert stored.newest_day(last) == reads.newest_day(conn, "acme", last)
            missing = next((d for d in each_day(first, last) if d not in stored.days_stored(first, last)), None)
            assert stored.first_missing(first, last) == missing
            for busy_from, also in (
                (None, ()),
                (1000, ()),
                (1000, ("3",)),
                (1500, ("20", "99")),
                (1000, ("15",)),
                (50, ()),
            ):
                series = stored.space_series(first, last, busy_from, also)
                found = sorted(
                    (space, d, *series[space][d])
                    for space in series
                    for d in each_day(first, last)
                    if d in series[space]
                )
                assert found == sorted(reads.space_days(conn, "acme", first, last, busy_from, also)), (
                    first,
                    last,
                    busy_from,
                    also,
                )
        assert stored.newest_day(DAYS[-1] - timedelta(days=1)) is None
        for meter in ("requests", "bytes"):
            assert stored.amounts(meter) == dict(reads.daily_usage(conn, "acme", DAYS[-1], LAST, meter))
        assert stored.oldest_day() == reads.org_days(conn, "acme", date.min, date.max)[0][0]
        assert stored.limit_history() == reads.limit_history(conn, "acme")
        assert stored.latest_snapshot() == reads.latest_snapshot(conn, "acme")


def test_read_at_once_holds_only_the_busy_spaces(engine, loaded):
    """The spaces never busy in the check's days are not read at all (a year of 500 spaces holds many)."""
    with begin(engine, loaded) as conn:
        stored = StoredDays(conn, "acme", DAYS[-1], busy_from=1000)
    assert stored.by_space is not None
    assert set(stored.by_space) == {str(s) for s in range(10, 21)}  # 100 * s >= 1000
