"""StoredDays, the rows a check of many days reads once, answers from memory what the stored rows say."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest

from storyblok_traffic.rules.periods import each_day
from storyblok_traffic.rules.usage import limit_in_force
from storyblok_traffic.warehouse import reads
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.stored_days import StoredDays, stored_from
from storyblok_traffic.warehouse.writes import write_fetch
from storyblok_traffic.xcom import FetchedTraffic
from tests.integration.warehouse.test_writes import EXAMPLE

LAST = date(2026, 3, 31)
DAYS = [LAST - timedelta(days=i) for i in range(60) if i not in (7, 8, 30)]  # with holes
# What ``_traffic`` stores: the organisation's (requests, bytes) by day, each space's by (space, day)
ORG_ROWS = {d: (1000 + i, None if i % 9 == 0 else 7 * i) for i, d in enumerate(DAYS)}
SPACE_ROWS = {
    (str(s), d): (100 * s if i % 2 == 0 else 5, None)
    for i, d in enumerate(DAYS)
    for s in range(1, 21)
    if not (s == 20 and i > 40)  # a space that stops
}


def _traffic() -> FetchedTraffic:
    """60 days of 20 spaces: space s has 100 * s requests on even days, 5 on odd ones; some bytes unknown."""
    payload = copy.deepcopy(EXAMPLE)
    payload["cumulated_traffic"]["traffic"] = [
        {"date": str(d), "api_requests": requests, "total_bytes": size} for d, (requests, size) in ORG_ROWS.items()
    ]
    payload["traffic"] = [
        {"date": str(d), "space_id": int(s), "api_requests": requests, "total_bytes": size}
        for (s, d), (requests, size) in SPACE_ROWS.items()
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


def _org_days(first: date, last: date) -> list[tuple[date, int, int | None]]:
    return sorted((d, *row) for d, row in ORG_ROWS.items() if first <= d <= last)


def _space_rows(first: date, last: date, busy_from: int | None, also: tuple[str, ...]) -> list[tuple[object, ...]]:
    """The space rows of the range: of every space, or of those busy on ``last`` and those in ``also``."""
    spaces = {s for s, _ in SPACE_ROWS}
    if busy_from is not None:
        spaces = {s for (s, d), (r, _) in SPACE_ROWS.items() if d == last and r >= busy_from} | set(also)
    return sorted((s, d, *row) for (s, d), row in SPACE_ROWS.items() if s in spaces and first <= d <= last)


@pytest.mark.parametrize("spaces_from", [None, DAYS[-1]], ids=["day-by-day", "read-at-once"])
def test_every_answer_is_the_stored_rows(engine, loaded, spaces_from):
    with begin(engine, loaded) as conn:
        stored = StoredDays(conn, "acme", spaces_from, busy_from=1000)
        for first, last in RANGES:
            rows = _org_days(first, last)
            assert stored.org_days(first, last) == rows
            assert stored.daily_usage(first, last, "requests") == [(d, r) for d, r, _ in rows]
            assert stored.daily_usage(first, last, "bytes") == [(d, b or 0) for d, _, b in rows]
            assert stored.meter_total("bytes", first, last) == (
                sum(b or 0 for *_, b in rows),
                sum(1 for *_, b in rows if b is not None),
            )
            assert stored.days_stored(first, last) == {d for d, *_ in rows}
            assert stored.newest_day(last) == (rows[-1][0] if rows else None)
            missing = next((d for d in each_day(first, last) if d not in ORG_ROWS), None)
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
                assert found == _space_rows(first, last, busy_from, also), (first, last, busy_from, also)
                if busy_from is not None and not stored.holds(first, busy_from, also):
                    weekdays = [last - timedelta(days=7 * weeks) for weeks in range(3)]
                    some = stored.space_series(first, last, busy_from, also, only=weekdays)
                    assert sorted((s, d, *some[s][d]) for s in some for d in some[s]) == [
                        row for row in found if row[1] in weekdays
                    ]
        assert stored.newest_day(DAYS[-1] - timedelta(days=1)) is None
        assert stored.amounts("requests") == {d: r for d, (r, _) in ORG_ROWS.items()}
        assert stored.oldest_day() == DAYS[-1]
        assert stored.limit_history() == reads.limit_history(conn, "acme")
        assert stored.latest_snapshot() == reads.latest_snapshot(conn, "acme")


def test_days_read_from_a_day_answer_as_the_whole_history_and_refuse_older_days(engine, loaded, history):
    since = LAST - timedelta(days=20)
    for as_of, monthly in ((date(2025, 1, 1), 100), (since - timedelta(days=3), 200), (since + timedelta(days=5), 300)):
        history.limit("acme", as_of, monthly)
    with begin(engine, loaded) as conn:
        whole = StoredDays(conn, "acme")
        [(org, part)] = stored_from(conn, {"acme": since}, reads.limits_on_each(conn, {"acme": LAST})).items()
        alone = StoredDays(conn, "acme", since=since)
        # the limits in force on a day, for many organisations at once, as for one
        for day in (date(2024, 1, 1), since - timedelta(days=1), since, LAST):
            assert reads.limits_on_each(conn, {"acme": day, "nobody": day}) == {
                "acme": reads.limits_on(conn, "acme", day)
            }
    assert org == "acme"
    assert part.limit_history() == [limit_in_force(whole.limit_history(), LAST)]
    for stored in (part, alone):
        assert stored.rows == whole.org_days(since, LAST)
        for meter in ("requests", "bytes"):
            assert stored.meter_total(meter, since, LAST) == whole.meter_total(meter, since, LAST)
            assert stored.day_reaching(meter, since, LAST, 5_000) == whole.day_reaching(meter, since, LAST, 5_000)
        with pytest.raises(ValueError, match=f"read from {since} on"):
            stored.org_days(since - timedelta(days=1), LAST)
        with pytest.raises(ValueError, match=f"read from {since} on"):
            stored.oldest_day()


def test_read_at_once_holds_only_the_busy_spaces(engine, loaded):
    """The spaces never busy in the check's days are not read at all (a year of 500 spaces holds many)."""
    with begin(engine, loaded) as conn:
        stored = StoredDays(conn, "acme", DAYS[-1], busy_from=1000)
    assert stored.by_space is not None
    assert set(stored.by_space) == {str(s) for s in range(10, 21)}  # 100 * s >= 1000
