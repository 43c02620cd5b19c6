"""The spike rule at its edges (pure): the floors at equality, the shortcut that skips most spaces,
the least busy space worth reading, a new space's verdict, and the day before a two-day run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storyblok_traffic.rules.spikes import (
    NEW,
    NORMAL,
    SPIKE,
    TOO_LITTLE,
    Day,
    SpikeRule,
    Verdict,
    _centre_and_spread,
    _ratio_of,
    attribute,
    cannot_alarm,
    judge,
    least_busy,
    limit_reached_at_rate,
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


def test_the_noise_is_the_trimmed_spread_of_the_middle_80_percent_scaled_to_the_whole():
    ratios = [-1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0]
    centre, spread = _centre_and_spread(ratios)
    # The 10 % at each end cut (one value each): [0, 0, 1, 1, 1, 1, 2, 2], mean 1, variance 4 / 7.
    assert centre == 1.0
    assert spread == pytest.approx((4 / 7) ** 0.5 / 0.6616)
    assert _centre_and_spread([0.0] * 10) == (0.0, 0.05)  # a flat series: the floor


def test_a_days_normal_is_the_median_of_its_weekday_over_the_windows_weeks_from_the_first_traffic():
    rule = SpikeRule(factor=3.0, min_requests=1, window_days=56)  # eight weeks back
    weeks = {DAY - timedelta(days=7 * k): Day(100 if k <= 4 else 200, 1) for k in range(1, 10)}
    days = {**weeks, DAY: Day(300, 1)}
    normal, _ = _ratio_of(days, DAY, rule, date.min) or (None, None)
    assert normal == 150.0  # weeks 1 to 4 at 100, 5 to 8 at 200; the ninth week is outside
    # From a first day six weeks back, that day included: weeks 1 to 6, three at 100 and three at 200.
    later = {DAY - timedelta(days=7 * k): Day(100 if k <= 3 else 200, 1) for k in range(1, 9)} | {DAY: Day(300, 1)}
    assert (_ratio_of(later, DAY, rule, DAY - timedelta(days=42)) or (None,))[0] == 150.0
    assert _ratio_of(days, DAY, rule, DAY) is None  # no same weekday since the first day


def by_weekday(days: int, wednesday: int, thursday: int, other: int) -> dict[date, Day]:
    """A flat series of ``days`` up to DAY (a Thursday) whose Wednesdays and Thursdays differ."""
    amount = {2: wednesday, 3: thursday}
    first = DAY - timedelta(days=days - 1)
    return {d: Day(amount.get(d.weekday(), other), 10_000) for d in (first + timedelta(days=i) for i in range(days))}


RUN = SpikeRule(factor=2.2, min_requests=1_000, window_days=28, noise_days=56)


def test_the_day_before_a_run_passes_its_own_floors_at_equality():
    """Wednesday's normal 1,000, Thursday's 10,000: Wednesday at 3.5x (2,500 over), Thursday at 1.6x
    (6,000 over) are a run; Wednesday's requests at the floor, and its excess exactly the least, count."""
    days = by_weekday(70, 1_000, 10_000, 5_000)
    wednesday = DAY - timedelta(days=1)
    run = {**days, wednesday: Day(3_500, 1_000), DAY: Day(16_000, 10_000)}
    assert judge(run, DAY, RUN).status == SPIKE
    assert judge(run, DAY, RUN, min_excess=2_500).status == SPIKE
    assert judge(run, DAY, RUN, min_excess=2_501).status == NORMAL  # Thursday passes, Wednesday does not
    assert judge({**run, wednesday: Day(3_500, 999)}, DAY, RUN).status == NORMAL
    without_wednesday = {d: x for d, x in run.items() if d != wednesday}
    assert judge(without_wednesday, DAY, RUN).status == NORMAL
    # Two days below the factor on average are no run: 1.6x and 2.0x average 1.8x.
    assert judge({**run, wednesday: Day(2_000, 10_000)}, DAY, RUN).status == NORMAL


def test_an_episode_goes_on_below_the_least_ratio_while_out_of_the_noise():
    days = by_weekday(70, 5_000, 5_000, 5_000)
    modest = {**days, DAY: Day(6_500, 10_000)}  # 1.3x: below the least ratio, far out of a flat series' noise
    assert judge(modest, DAY, RUN, in_episode=True).status == SPIKE
    assert judge(modest, DAY, RUN).status == NORMAL


def test_a_verdict_carries_its_history_and_a_judged_one_its_sigmas_in_hundredths():
    days = series([*steady(35), 0])
    quiet = judge({**days, DAY: Day(5_000, 5_000)}, DAY, RULE)
    assert (quiet.status, quiet.history_days, quiet.sigmas) == (NORMAL, 28, None)
    judged = judge({**days, DAY: Day(9_500, 9_500)}, DAY, RULE)  # above the least ratio, below the factor
    assert (judged.status, judged.history_days) == (NORMAL, 28)
    assert judged.sigmas is not None
    assert judged.sigmas == round(judged.sigmas, 2)
    spike = judge({**days, DAY: Day(50_000, 50_000)}, DAY, RULE)
    assert (spike.status, spike.history_days) == (SPIKE, 28)


def test_too_few_ratios_in_the_noise_days_is_no_verdict_yet():
    """Fourteen days stored, but only one of the seven noise days before the day: too little."""
    rule = SpikeRule(factor=3.0, min_requests=1_000, window_days=28, noise_days=7)
    days = series(steady(14), last=DAY - timedelta(days=7))
    assert judge({**days, DAY: Day(50_000, 50_000)}, DAY, rule) == Verdict(TOO_LITTLE, 50_000, history_days=14)


def test_the_monthly_limit_at_a_spikes_rate_at_its_edges():
    last = DAY + timedelta(days=4)
    assert limit_reached_at_rate(0, 0, 10, DAY, last) is None  # no limit known
    assert limit_reached_at_rate(0, 1, 1, DAY, last) == DAY + timedelta(days=1)  # a limit of one, a rate of one
    assert limit_reached_at_rate(100, 100, 0, DAY, last) == DAY  # reached already, whatever the rate
    assert limit_reached_at_rate(90, 100, 0, DAY, last) is None  # no traffic: never
    assert limit_reached_at_rate(60, 100, 10, DAY, last) == last  # exactly on the period's last day
    assert limit_reached_at_rate(59, 100, 10, DAY, last) is None  # a day after it


@pytest.mark.parametrize(
    ("org_excess", "extras", "shares"),
    [
        (100.0, {"a": 95, "b": 5}, [("a", 95, 95.0), ("b", 5, 5.0)]),  # 5 % exactly is named
        (1_000.0, {"a": 40, "b": 30}, [("a", 40, 4.0)]),  # none reaches 5 %: the largest alone
        (1.0, {"a": 1}, [("a", 1, 100.0)]),  # an extra of one, of an excess of one
        (1.0, {"a": 2}, [("a", 2, 200.0)]),  # shares of the organisation's excess, not of the spaces' sum
        (0.0, {"a": 30, "b": 10}, [("a", 30, 75.0), ("b", 10, 25.0)]),  # no excess: shares of their sum
        (100.0, {"a": 0}, []),  # nothing above normal: nobody
    ],
)
def test_attribute_names_the_spaces_behind_an_excess(
    org_excess: float, extras: dict[str, int], shares: list[tuple[str, int, float]]
):
    verdicts = {space: Verdict(SPIKE, 1_000 + extra, 1_000.0) for space, extra in extras.items()}
    assert [(s.space_id, s.extra, s.share_pct) for s in attribute(org_excess, verdicts)] == shares


def test_attribute_names_five_spaces_at_most():
    verdicts = {str(i): Verdict(SPIKE, 1_100, 1_000.0) for i in range(6)}  # six spaces of 100 each
    assert [s.space_id for s in attribute(600.0, verdicts)] == ["0", "1", "2", "3", "4"]


def test_cannot_alarm_needs_no_excess_by_default():
    at_normal = SpikeRule(factor=1.0, min_requests=100, window_days=56)  # least ratio 1
    assert cannot_alarm(Day(100, 500), [100, 100], at_normal) is False


def test_the_least_busy_space_on_bytes_is_the_request_floor_even_at_zero():
    assert least_busy(SpikeRule(factor=4.0, min_requests=0, window_days=56), "bytes", 5.0) == 0


def test_a_new_space_of_one_request_is_new():
    assert judge({DAY: Day(1, 1_000)}, DAY, RULE, new_allowed=True).status == NEW


def test_a_weekday_of_zeros_or_without_a_sample_has_a_normal_of_nothing():
    zeros = {d: Day(0, 5_000) for d, _ in series(steady(35)).items()}
    assert judge({**zeros, DAY: Day(50_000, 5_000)}, DAY, RULE).normal == 0.0
    no_thursday = {d: x for d, x in series(steady(35)).items() if d.weekday() != DAY.weekday()}
    assert judge({**no_thursday, DAY: Day(50_000, 50_000)}, DAY, RULE).normal == 0.0


def test_a_day_at_exactly_the_factor_and_far_out_of_the_noise_is_a_spike():
    flat = by_weekday(70, 5_000, 5_000, 5_000)
    rule = SpikeRule(factor=3.0, min_requests=1_000, window_days=28, noise_days=56)
    assert judge({**flat, DAY: Day(15_000, 15_000)}, DAY, rule).status == SPIKE
    assert judge({**flat, DAY: Day(14_999, 14_999)}, DAY, rule).status == NORMAL
