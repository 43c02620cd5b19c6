"""Property-based tests (hypothesis) of pure code: month chunks partition any range, and alarm days are
where the running sum first reaches a threshold."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import accumulate, pairwise

from hypothesis import example, given
from hypothesis import strategies as st

from storyblok_traffic.jobs.backfill import month_chunks
from storyblok_traffic.rules import forecast, spikes, usage
from storyblok_traffic.xcom import Range

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
    stored = {d: a for d, a in daily if a % 7}  # some days not stored
    for day in days:
        walked = _alarms_walked([(d, stored.get(d, 0)) for d in days], limit_on, thresholds, day)
        assert run.advance(stored, limit_on, day) == walked
        assert (run.total, run.days_with_data) == (
            sum(a for d, a in stored.items() if d <= day),
            sum(d <= day for d in stored),
        )


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


@given(
    history=st.lists(st.integers(min_value=0, max_value=10**5), min_size=14, max_size=40),
    missing=st.sets(st.integers(min_value=0, max_value=39), max_size=8),
    usage_so_far=st.integers(min_value=0, max_value=10**6),
    days_left=st.integers(min_value=0, max_value=400),
    limit=st.integers(min_value=1, max_value=10**7),
    thresholds=st.lists(st.sampled_from([50, 75, 80, 90, 92.5, 99.99, 100, 150]), min_size=1, max_size=4, unique=True),
)
def test_a_projection_equals_the_exact_day_by_day_walk(history, missing, usage_so_far, days_left, limit, thresholds):
    """The forecast adds whole weeks at once: it must end where walking each day's exact mean ends."""
    day = FIRST + timedelta(days=len(history) - 1)
    daily = [(FIRST + timedelta(days=i), a) for i, a in enumerate(history) if i not in missing]
    last = day + timedelta(days=days_left)
    found = forecast.project(daily, day, last, usage_so_far, limit, thresholds)
    window = [(d, a) for d, a in daily if d > day - timedelta(days=28)]
    if len(window) < 14:
        assert found is None
        return
    assert found is not None
    overall = Fraction(sum(a for _, a in window), len(window))
    by_weekday = {w: [a for d, a in window if d.weekday() == w] for w in range(7)}
    rate = {w: Fraction(sum(v), len(v)) if v else overall for w, v in by_weekday.items()}
    total, crossings, current = Fraction(usage_so_far), {}, day
    while current < last:
        current += timedelta(days=1)
        total += rate[current.weekday()]
        for t in thresholds:  # a projected day's usage counts in whole units, as stored usage does
            if t not in crossings and not usage.reached(usage_so_far, limit, t) and usage.reached(int(total), limit, t):
                crossings[t] = current
    assert found.projected_usage == int(total)
    assert dict(found.crossings) == crossings


@given(
    base=st.integers(min_value=1, max_value=5),
    others=st.lists(st.sampled_from([1, 1, 1, 0, 2, None]), min_size=56, max_size=56),
    weekly=st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=12)), min_size=4, max_size=8),
    today=st.integers(min_value=0, max_value=40),
    factor=st.sampled_from([1.5, 2.0, 3.0, 4.0]),
    floor=st.integers(min_value=0, max_value=3),
    window_days=st.sampled_from([14, 21, 28, 56]),
    min_excess=st.integers(min_value=0, max_value=12),
)
# at the bar exactly: 4 is 2x the normal of 2, a spike
@example(base=2, others=[1] * 56, weekly=[2, 2, 2, 2], today=4, factor=2.0, floor=0, window_days=28, min_excess=0)
# the normal is the median (2), not the largest weekday (12): 5 is a spike
@example(base=2, others=[1] * 56, weekly=[2, 2, 2, 12], today=5, factor=2.0, floor=0, window_days=28, min_excess=0)
def test_a_space_ruled_out_early_is_never_a_spike_or_new(
    base, others, weekly, today, factor, floor, window_days, min_excess
):
    """cannot_alarm lets a year's check skip most spaces: it may only skip what judge() calls no alarm.

    A steady series (``base`` times 0, 1 or 2; None: not stored) with its same weekdays free, so that
    the day's ratio to its normal decides.
    """
    day = FIRST + timedelta(days=len(others))
    rule = spikes.SpikeRule(factor, floor, window_days)
    series = {FIRST + timedelta(days=i): spikes.Day(base * m, base * m) for i, m in enumerate(others) if m is not None}
    for weeks, amount in enumerate(weekly, start=1):
        series.pop(day - timedelta(days=7 * weeks), None)
        if amount is not None:
            series[day - timedelta(days=7 * weeks)] = spikes.Day(amount, amount)
    series[day] = spikes.Day(today, today)
    same_weekday = [
        None if (d := day - timedelta(days=7 * w)) not in series else series[d].amount
        for w in range(1, window_days // 7 + 1)
    ]
    if spikes.cannot_alarm(series[day], same_weekday, rule, min_excess):
        assert not spikes.judge(series, day, rule, new_allowed=True, min_excess=min_excess).is_alarm
