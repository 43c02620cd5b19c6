"""The spike rule: the same weekday's median as the normal, a factor, a floor, the series' own noise."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from storyblok_traffic.rules.spikes import (
    NEW,
    NORMAL,
    SINGLE_SIGMAS,
    SPIKE,
    TOO_LITTLE,
    Day,
    SpikeRule,
    Verdict,
    attribute,
    judge,
    limit_reached_at_rate,
)

RULE = SpikeRule(factor=3.0, min_requests=1_000, window_days=28)
WIDE = SpikeRule(factor=3.0, min_requests=1_000, window_days=56, noise_days=112)
DAY = date(2026, 11, 26)  # a Thursday


def series(amounts: list[int], last: date = DAY) -> dict[date, Day]:
    """``amounts`` for the days up to ``last``, oldest first."""
    first = last - timedelta(days=len(amounts) - 1)
    return {first + timedelta(days=i): Day(n, n) for i, n in enumerate(amounts)}


def steady(days: int, amount: int = 5_000) -> list[int]:
    return [amount + (i * 37) % 400 for i in range(days)]  # a little noise, never a pattern


def test_a_jump_of_ten_times_is_a_spike_with_its_factor_and_normal():
    verdict = judge(series([*steady(35), 50_000]), DAY, RULE)
    assert verdict.status == SPIKE
    assert 5_000 <= verdict.normal <= 5_400
    assert verdict.factor is not None
    assert 9.2 < verdict.factor < 10.0


def test_twice_the_normal_is_not_a_spike_at_three_times():
    assert judge(series([*steady(35), 10_000]), DAY, RULE).status == NORMAL


def test_busy_mondays_are_normal_on_mondays_and_a_spike_elsewhere():
    monday = date(2026, 11, 23)
    amounts = {
        monday - timedelta(days=i): (25_000 if (monday - timedelta(days=i)).weekday() == 0 else 5_000)
        for i in range(36)
    }
    days = {d: Day(n, n) for d, n in amounts.items()}
    assert judge(days, monday, RULE).status == NORMAL
    tuesday = monday + timedelta(days=1)
    assert judge(days | {tuesday: Day(25_000, 25_000)}, tuesday, RULE).status == SPIKE


def test_below_the_floor_nothing_pages():
    assert judge(series([*[80] * 35, 800]), DAY, RULE).status == NORMAL
    assert judge(series([*[80] * 35, 800]), DAY, SpikeRule(3.0, 500, 28)).status == SPIKE


def test_too_little_history_is_no_verdict():
    verdict = judge(series([*steady(13), 50_000]), DAY, RULE)
    assert (verdict.status, verdict.history_days) == (TOO_LITTLE, 13)
    assert judge(series([*steady(14), 50_000]), DAY, RULE).status == SPIKE


def test_a_space_with_no_traffic_before_is_new_not_a_spike_of_nothing():
    days = series([*[0] * 30, 40_000])
    assert judge(days, DAY, RULE, new_allowed=True).status == NEW
    assert judge(days, DAY, RULE).status == SPIKE  # the organisation's series is never "new"
    young = series([*[0] * 25, *steady(5), 40_000])
    assert judge(young, DAY, RULE, new_allowed=True).status == TOO_LITTLE


def test_a_series_that_often_triples_is_not_news_when_it_triples():
    noisy = [1_000 + (i * 7919) % 9_000 for i in range(35)]  # anywhere from 1,000 to 10,000 a day
    normal = judge(series([*noisy, 0]), DAY, RULE).normal
    assert judge(series([*noisy, round(3.2 * normal)]), DAY, RULE).status == NORMAL
    calm = judge(series([*steady(35), 0]), DAY, RULE).normal
    assert judge(series([*steady(35), round(3.2 * calm)]), DAY, RULE).status == SPIKE


def test_a_missing_day_is_no_value():
    days = series(steady(35), DAY - timedelta(days=1))
    assert judge(days, DAY, RULE).status == "no_value"


@given(
    base=st.lists(st.integers(min_value=1_000, max_value=50_000), min_size=29, max_size=40),
    last=st.integers(min_value=0, max_value=500_000),
    scale=st.integers(min_value=2, max_value=1_000),
)
def test_scaling_a_series_keeps_every_verdict(base, last, scale):
    one = judge(series([*base, last]), DAY, RULE)
    scaled = judge(series([n * scale for n in [*base, last]]), DAY, RULE)
    # Scaling up can lift a day over the floor; every other verdict stays.
    if last >= RULE.min_requests or one.status != NORMAL:
        assert scaled.status == one.status
    if one.factor is not None and scaled.factor is not None:
        assert abs(one.factor - scaled.factor) < 1e-9 * max(1.0, one.factor)


def test_the_spaces_behind_an_excess_largest_first_with_their_share():
    spaces = {
        "a": Verdict(SPIKE, 30_000, 5_000),
        "b": Verdict(SPIKE, 12_000, 2_000),
        "c": Verdict(NORMAL, 1_010, 1_000),
        "n": Verdict(NEW, 3_000),
    }
    shares = attribute(38_000.0, spaces)
    assert [(s.space_id, s.extra, s.share_pct) for s in shares] == [
        ("a", 25_000, 65.8),
        ("b", 10_000, 26.3),
        ("n", 3_000, 7.9),
    ]


def test_the_monthly_limit_at_the_spike_days_rate():
    last = date(2026, 11, 30)
    assert limit_reached_at_rate(700_000, 800_000, 40_000, DAY, last) == DAY + timedelta(days=3)
    assert limit_reached_at_rate(700_000, 800_000, 10_000, DAY, last) is None  # not this month
    assert limit_reached_at_rate(810_000, 800_000, 10_000, DAY, last) == DAY  # already over


def noisy(days: int, sigma: float, seed: int = 3, median_amount: int = 10_000) -> list[int]:
    """Log-normal days (no weekly pattern): the series' log daily ratio has a spread of about 1.1 sigma."""
    rng = random.Random(seed)
    return [round(median_amount * math.exp(rng.gauss(0.0, sigma))) for _ in range(days)]


def test_a_day_is_judged_in_the_spread_of_the_series_own_log_ratios():
    # The same 5x day: news on a calm series, noise on one whose days often jump that far.
    calm, wild = noisy(168, 0.1), noisy(168, 1.0)
    on_calm = judge(series([*calm, 0]), DAY, WIDE)
    on_wild = judge(series([*wild, 0]), DAY, WIDE)
    assert judge(series([*calm, round(5 * on_calm.normal)]), DAY, WIDE).status == SPIKE
    verdict = judge(series([*wild, round(5 * on_wild.normal)]), DAY, WIDE)
    assert verdict.status == NORMAL
    assert verdict.sigmas is not None
    assert 1 < verdict.sigmas < SINGLE_SIGMAS


def test_two_days_in_a_row_out_of_the_noise_start_a_spike_on_the_second():
    history = noisy(168, 0.3, seed=11)
    normal = judge(series([*history, 0]), DAY, WIDE).normal
    # 3.2x twice: about 3.4 sigma of this series each, below the bar of one day alone (3.8)
    first = series([*history, round(3.2 * normal)], DAY - timedelta(days=1))
    assert judge(first, DAY - timedelta(days=1), WIDE).status == NORMAL
    both = first | {DAY: Day(round(3.2 * normal), round(3.2 * normal))}
    assert judge(both, DAY, WIDE).status == SPIKE
    # the day after a quiet one: the same 3.2x is not enough
    one = series([*history, round(normal), round(3.2 * normal)])
    assert judge(one, DAY, WIDE).status == NORMAL


def test_an_episode_goes_on_while_its_days_stay_above_the_noise_and_ends_back_at_normal():
    history = noisy(168, 0.3, seed=5)
    normal = judge(series([*history, 0]), DAY, WIDE).normal
    high = series([*history, round(2 * normal)])  # 2x: starts nothing, but is well above this series' usual
    assert judge(high, DAY, WIDE).status == NORMAL
    assert judge(high, DAY, WIDE, in_episode=True).status == SPIKE
    back = series([*history, round(normal)])
    assert judge(back, DAY, WIDE, in_episode=True).status == NORMAL


def test_a_spike_must_move_the_bill():
    days = series([*steady(35), 50_000])
    assert judge(days, DAY, RULE, min_excess=44_000).status == SPIKE  # its excess is some 44,800
    assert judge(days, DAY, RULE, min_excess=46_000).status == NORMAL
    new = series([*[0] * 30, 40_000])
    assert judge(new, DAY, RULE, new_allowed=True, min_excess=39_000).status == NEW
    assert judge(new, DAY, RULE, new_allowed=True, min_excess=41_000).status == TOO_LITTLE


def test_the_days_before_a_space_first_had_traffic_are_not_its_noise():
    # 90 days of nothing, then 60 steady days: the spread is the steady days', not a run of zeros
    young = series([*[0] * 90, *steady(60), 20_000])
    verdict = judge(young, DAY, WIDE, new_allowed=True)
    assert verdict.status == SPIKE
    assert verdict.sigmas is not None
    assert verdict.sigmas > 20
