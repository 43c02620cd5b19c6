"""The spike rule at its edges (pure): the floors at equality, the shortcut that skips most spaces,
the least busy space worth reading, a new space's verdict, and the day before a two-day run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storyblok_traffic.rules.spikes import (
    NEW,
    NORMAL,
    SPIKE,
    TOO_LITTLE,
    Day,
    SpikeRule,
    Verdict,
    cannot_alarm,
    judge,
    least_busy,
)
from tests.unit.rules.test_spikes import DAY, RULE, series, steady

FOUR = SpikeRule(factor=4.0, min_requests=100, window_days=56)  # least ratio 2


@pytest.mark.parametrize(
    ("today", "same_weekday", "min_excess", "ruled_out"),
    [
        (Day(None, 500), [100], 0.0, True),  # no amount
        (Day(0, 500), [], 0.0, True),  # nothing
        (Day(500, 99), [], 0.0, True),  # below the floor
        (Day(1, 100), [], 0.0, False),  # at the floor, any amount: no normal to rule it out by
        (Day(500, 500), [100, None], 0.0, False),  # a weekday not stored: it may be new
        (Day(500, 500), [100, 0], 0.0, False),  # a weekday without traffic: it may be new
        (Day(199, 500), [100, 100], 0.0, True),  # below twice the normal
        (Day(200, 500), [100, 100], 0.0, False),  # exactly twice
        (Day(240, 500), [100, 100], 150.0, True),  # 140 above the normal, 150 needed
        (Day(250, 500), [100, 100], 150.0, False),  # exactly 150 above
    ],
)
def test_cannot_alarm_rules_out_only_what_judge_would(
    today: Day, same_weekday: list[int | None], min_excess: float, ruled_out: bool
):
    assert cannot_alarm(today, same_weekday, FOUR, min_excess) is ruled_out


def test_the_least_busy_space_worth_reading():
    assert least_busy(FOUR, "requests", 10.0) == 100  # the floor
    assert least_busy(FOUR, "requests", 250.2) == 251  # the least excess, rounded up
    assert least_busy(FOUR, "bytes", 1e9) == 100  # bytes say nothing of requests


def test_a_new_space_at_its_floors_exactly_is_new_and_below_them_too_little():
    new_rule = SpikeRule(factor=3.0, min_requests=1_000, window_days=28)
    first = {DAY: Day(1_000, 1_000)}
    assert judge(first, DAY, new_rule, new_allowed=True, min_excess=1_000) == Verdict(NEW, 1_000)
    assert judge({DAY: Day(1_000, 999)}, DAY, new_rule, new_allowed=True) == Verdict(TOO_LITTLE, 1_000)
    assert judge({DAY: Day(999, 1_000)}, DAY, new_rule, new_allowed=True, min_excess=1_000) == Verdict(TOO_LITTLE, 999)
    assert judge({DAY: Day(0, 5_000)}, DAY, new_rule, new_allowed=True) == Verdict(TOO_LITTLE, 0)


def test_too_little_history_says_how_much_there_is():
    assert judge(series([*steady(10), 50_000]), DAY, RULE) == Verdict(TOO_LITTLE, 50_000, history_days=10)


def test_a_day_at_the_floors_exactly_is_judged():
    """Requests at the floor and an excess exactly the least that pages: judged, and here a spike."""
    days = series([*steady(35), 0])
    normal = judge({**days, DAY: Day(10**6, 10**6)}, DAY, RULE).normal
    at_floor = {**days, DAY: Day(round(normal * 10), RULE.min_requests)}
    found = judge(at_floor, DAY, RULE, min_excess=round(normal * 10) - normal)
    assert found.status == SPIKE


def test_the_day_before_counts_for_a_run_only_above_its_own_floors():
    """The day before at 3.5x its normal, the day at 1.6x: below the factor alone, a run of two days
    averaging above it (2.4x); not a run when the day before did not pass its own floors."""
    rule = SpikeRule(factor=2.2, min_requests=1_000, window_days=28, noise_days=56)
    days = series(steady(70))
    before = DAY - timedelta(days=1)
    normal_before = judge(days, before, rule).normal
    normal = judge(days, DAY, rule).normal
    today = Day(round(normal * 1.6), 10_000)
    run = {**days, before: Day(round(normal_before * 3.5), 10_000), DAY: today}
    assert judge(run, DAY, rule).status == SPIKE
    assert judge({**days, DAY: today}, DAY, rule).status == NORMAL  # the day alone is no spike
    below_floor = {**run, before: Day(run[before].amount, 999)}
    assert judge(below_floor, DAY, rule).status == NORMAL
