"""Property-based tests (hypothesis) of pure code: month chunks partition any range, and alarm days are
where the running sum first reaches a threshold."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import accumulate, pairwise

from hypothesis import given
from hypothesis import strategies as st

from storyblok_traffic.history import Range, month_chunks
from storyblok_traffic.rules import usage

FIRST = date(2026, 1, 1)


@given(
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    span=st.integers(min_value=0, max_value=800),
)
def test_month_chunks_cover_any_range_once_and_never_cross_a_month(first, span):
    days = Range(first, first + timedelta(days=span))
    chunks = month_chunks(days)
    assert chunks[0].first == days.first
    assert chunks[-1].last == days.last
    for a, b in pairwise(chunks):
        assert b.first == a.last + timedelta(days=1)
    assert all((c.first.year, c.first.month) == (c.last.year, c.last.month) for c in chunks)


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60),
    limit=st.integers(min_value=1, max_value=10**7),
    thresholds=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=4, unique=True),
)
def test_alarms_start_where_the_running_sum_first_reaches_the_threshold(amounts, limit, thresholds):
    days = [FIRST + timedelta(days=i) for i in range(len(amounts))]
    found = {
        c.threshold_pct: c.crossed_on
        for c in usage.alarms(list(zip(days, amounts, strict=True)), lambda _: limit, thresholds, days[0], days[-1])
    }
    running = list(accumulate(amounts))
    for t in thresholds:
        first_day = next((d for d, total in zip(days, running, strict=True) if total * 100 >= limit * t), None)
        assert found.get(t) == first_day
