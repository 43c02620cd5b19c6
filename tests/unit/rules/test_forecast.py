"""Period-end forecasts from the weekday run rate (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from storyblok_traffic.rules.forecast import WeekdayRates, project, weekday_rates, weekday_rates_of

MONDAY = date(2026, 3, 2)


def weeks(n: int, weekday: int, weekend: int, end: date) -> list[tuple[date, int]]:
    days = [end - timedelta(days=i) for i in range(n * 7)]
    return sorted((d, weekend if d.weekday() >= 5 else weekday) for d in days)


def test_weekday_rates_keep_the_weekend_dip():
    daily = weeks(4, 1000, 100, end=date(2026, 3, 29))  # a Sunday
    rates, basis = weekday_rates(daily, date(2026, 3, 29), 28)
    assert basis == 28
    assert rates == [1000.0] * 5 + [100.0] * 2


def test_projection_walks_the_remaining_days_by_weekday():
    daily = weeks(4, 1000, 100, end=date(2026, 3, 29))
    # From Sunday 29th: Mon 30th and Tue 31st remain, 2,000 more.
    fc = project(daily, date(2026, 3, 29), date(2026, 3, 31), usage=20_000, limit=22_000, thresholds=[100, 150])
    assert fc is not None
    assert fc.projected_usage == 22_000
    assert fc.crossings == ((100, date(2026, 3, 31)),)
    assert fc.crossing_of(150) is None


def test_a_weekend_dip_does_not_hide_the_weekday_rate():
    daily = weeks(4, 1000, 100, end=date(2026, 3, 8))  # a Sunday, two quiet days last
    fc = project(daily, date(2026, 3, 8), date(2026, 3, 13), usage=0, limit=5_000, thresholds=[100])
    assert fc is not None
    assert fc.crossing_of(100) == date(2026, 3, 13)


def test_too_little_history_means_no_forecast():
    daily = [(MONDAY + timedelta(days=i), 100) for i in range(13)]
    assert project(daily, MONDAY + timedelta(days=12), date(2026, 3, 31), 1300, 1000, [100]) is None
    daily.append((MONDAY + timedelta(days=13), 100))
    assert project(daily, MONDAY + timedelta(days=13), date(2026, 3, 31), 1400, 10_000, [100]) is not None


def test_thresholds_already_reached_are_not_forecast():
    daily = [(MONDAY + timedelta(days=i), 100) for i in range(20)]
    fc = project(daily, MONDAY + timedelta(days=19), date(2026, 3, 31), 2000, 2000, [100])
    assert fc is not None
    assert fc.crossings == ()


def test_a_threshold_reached_exactly_at_the_end_of_a_week_is_reached_that_day():
    daily = weeks(4, 1000, 100, end=date(2026, 3, 29))  # 5,200 a week
    fc = project(daily, date(2026, 3, 29), date(2026, 6, 30), usage=0, limit=10_400, thresholds=[50, 100])
    assert fc is not None
    assert fc.crossings == ((50, date(2026, 4, 5)), (100, date(2026, 4, 12)))  # Sundays, two weeks on


def test_no_stored_day_in_the_window_is_a_rate_of_nothing():
    assert weekday_rates_of([], MONDAY, 28) == WeekdayRates((0,) * 7, 1, 0)
    assert weekday_rates([(MONDAY - timedelta(days=40), 500)], MONDAY, 28) == ([0.0] * 7, 0)


def test_a_weekday_without_a_sample_takes_the_windows_mean_counted_in_integers():
    # Two weeks without Sundays: Monday to Saturday at 600, 300, 300, 300, 300, 100.
    amounts = [600, 300, 300, 300, 300, 100]
    daily = sorted((MONDAY + timedelta(days=7 * w + i), a) for w in range(2) for i, a in enumerate(amounts))
    found = weekday_rates_of(daily, MONDAY + timedelta(days=13), 28)
    assert found.basis_days == 12
    assert found.rates == [600.0, 300.0, 300.0, 300.0, 300.0, 100.0, 1900 / 6]
    assert all(type(amount) is int for amount in found.per_day)  # exact sums: no float creeps in
    assert found.per_day[6] * 12 == 3800 * found.scale  # Sunday: the 12 days' total over 12 days


def test_a_forecast_says_its_basis_and_its_daily_rate_rounded_to_a_tenth():
    daily = weeks(2, 1000, 1, end=date(2026, 3, 29))
    fc = project(daily, date(2026, 3, 29), date(2026, 3, 31), usage=0, limit=10**9, thresholds=[80], min_days=14)
    assert fc is not None
    assert (fc.basis_days, fc.daily_rate) == (14, 714.6)  # (5 x 1000 + 2 x 1) / 7 = 714.571...
    assert fc.projected_usage == 2000


def test_two_thresholds_reached_on_the_same_day_the_second_exactly():
    daily = weeks(4, 1000, 1000, end=date(2026, 3, 29))
    # limit 10,000: 50 % needs 5,000, 60 % needs 6,000; Monday takes 4,500 to 5,500, Tuesday to 6,500.
    fc = project(daily, date(2026, 3, 29), date(2026, 4, 5), usage=4_500, limit=10_000, thresholds=[50, 55, 60])
    assert fc is not None
    assert fc.crossings == ((50, date(2026, 3, 30)), (55, date(2026, 3, 30)), (60, date(2026, 3, 31)))
