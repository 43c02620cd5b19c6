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


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60),
    limits=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=4),
    thresholds=st.lists(st.sampled_from([50, 75, 80, 90, 92.5, 99.99, 100, 150]), min_size=1, max_size=4, unique=True),
)
def test_an_alarm_run_kept_day_by_day_equals_alarms_from_the_start(amounts, limits, thresholds):
    """A year's check keeps one run per period: each day must end as alarms() from the period's start."""
    days = [FIRST + timedelta(days=i) for i in range(len(amounts))]
    daily = list(zip(days, amounts, strict=True))
    # the limit changes every few days, down to 0 (unknown) as well
    limit_on = lambda d: limits[(d - FIRST).days * len(limits) // len(days)]  # noqa: E731
    run = usage.AlarmRun(thresholds, FIRST)
    for day in days:
        assert run.advance(dict(daily), limit_on, day) == _alarms_walked(daily, limit_on, thresholds, day)


def _alarms_walked(daily, limit_on, thresholds, last):
    """The rule as it reads: walk from the period's start, each day against its own limit, with reached()."""
    since: dict[float, tuple[date, int]] = {}
    total = 0
    for day, amount in daily:
        if day > last:
            break
        total += amount
        for t in thresholds:
            if not usage.reached(total, limit_on(day), t):
                since.pop(t, None)
            elif t not in since:
                since[t] = (day, total)
    return [usage.Crossing(t, on, used) for t, (on, used) in sorted(since.items())]


@given(
    limit=st.integers(min_value=-5, max_value=10**12),
    threshold=st.one_of(st.integers(min_value=1, max_value=300), st.sampled_from([0.5, 33.33, 92.5, 99.99])),
)
def test_the_least_usage_reaching_a_threshold_is_where_reached_turns_true(limit, threshold):
    need = usage.least_reaching(limit, threshold)
    if need is None:
        assert not usage.reached(10**15, limit, threshold)
    else:
        assert usage.reached(need, limit, threshold)
        assert not usage.reached(need - 1, limit, threshold)
