"""Usage arithmetic (pure): exact thresholds, alarms under changing limits, the limit in force."""

from __future__ import annotations

from datetime import date, timedelta

from storyblok_traffic.rules import usage
from storyblok_traffic.rules.usage import Crossing, Limits, alarms, percent_of

D = date(2026, 1, 1)


def test_percent_and_reached_are_exact():
    assert usage.percent_of(75, 100) == 75.0
    assert usage.percent_of(1, 0) is None
    assert usage.reached(75, 100, 75)  # exactly at the threshold counts
    assert not usage.reached(74, 100, 75)
    assert usage.reached(1_000_001, 2_000_000, 50.00005)  # exactly, where floats would wobble
    assert not usage.reached(1_000_000, 2_000_000, 50.00005)
    assert usage.reached(1, 0, 50) is False


def test_alarms_start_on_the_first_day_at_or_above():
    daily = [(D + timedelta(days=i), 10) for i in range(10)]
    found = usage.alarms(daily, lambda _: 100, [50, 75, 100, 200], D, D + timedelta(days=9))
    assert [(c.threshold_pct, c.crossed_on, c.usage) for c in found] == [
        (50, date(2026, 1, 5), 50),
        (75, date(2026, 1, 8), 80),
        (100, date(2026, 1, 10), 100),
    ]


def test_alarms_judge_each_day_by_its_own_limit():
    daily = [(D + timedelta(days=i), 10) for i in range(10)]
    # 100 until Jan 6, then 200: 50 % reached on Jan 5 (50/100), lost on Jan 6 (60/200), back on Jan 10 (100/200).
    found = usage.alarms(daily, lambda d: 100 if d < date(2026, 1, 6) else 200, [50], D, D + timedelta(days=9))
    assert [(c.threshold_pct, c.crossed_on) for c in found] == [(50, date(2026, 1, 10))]
    assert usage.alarms(daily, lambda d: 100 if d < date(2026, 1, 6) else 200, [50], D, date(2026, 1, 9)) == []


def test_alarms_count_days_without_data_as_zero():
    found = usage.alarms([(D, 80)], lambda _: 100, [50, 75, 90], D, D + timedelta(days=30))
    assert [(c.threshold_pct, c.crossed_on) for c in found] == [(50, D), (75, D)]


def test_limit_in_force():
    history = [Limits(100, 1200, date(2026, 3, 1)), Limits(200, 2400, date(2026, 6, 1))]
    assert usage.limit_in_force(history, date(2026, 1, 1)) == history[0]  # before any snapshot: the oldest
    assert usage.limit_in_force(history, date(2026, 5, 31)) == history[0]
    assert usage.limit_in_force(history, date(2026, 6, 1)) == history[1]
    assert usage.limit_in_force([], date(2026, 6, 1)) is None
    assert history[1].of("year") == 2400
    assert history[1].of("month") == 200


def test_a_percent_keeps_two_decimals_and_a_limit_of_one_is_a_limit():
    assert percent_of(1, 3) == 33.33
    assert percent_of(2, 3) == 66.67
    assert percent_of(3, 1) == 300.0
    assert percent_of(5, 0) is None


def test_a_day_before_the_period_never_counts():
    first = date(2026, 6, 1)
    daily = [(first - timedelta(days=1), 1_000), (first, 10)]
    assert alarms(daily, lambda _: 100, [50], first, first) == []
    assert alarms(daily, lambda _: 100, [10], first, first) == [Crossing(10, first, 10)]


def test_a_count_says_its_noun_singular_or_plural():
    from storyblok_traffic.rules.usage import counted

    assert [counted(n, "day") for n in (0, 1, 2, 1500)] == ["0 days", "1 day", "2 days", "1,500 days"]
    assert counted(1, "earlier day") == "1 earlier day"
