"""Contract years and their months (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from storyblok_traffic.rules.periods import month_of, window_of, year_of


def test_calendar_year_and_month():
    assert (year_of(date(2026, 12, 31)).start, year_of(date(2026, 12, 31)).last) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    month = month_of(date(2026, 2, 14))
    assert (month.start, month.last, month.days) == (date(2026, 2, 1), date(2026, 2, 28), 28)


def test_contract_year_starting_mid_march():
    before = year_of(date(2026, 3, 14), (3, 15))
    on = year_of(date(2026, 3, 15), (3, 15))
    assert (before.start, before.last) == (date(2025, 3, 15), date(2026, 3, 14))
    assert (on.start, on.last, on.days) == (date(2026, 3, 15), date(2027, 3, 14), 365)
    assert on.days_to(date(2026, 3, 16)) == 2


def test_contract_months_start_on_the_contract_day():
    assert (month_of(date(2026, 3, 14), (3, 15)).start, month_of(date(2026, 3, 14), (3, 15)).last) == (
        date(2026, 2, 15),
        date(2026, 3, 14),
    )
    january = month_of(date(2026, 1, 3), (1, 15))
    assert (january.start, january.last) == (date(2025, 12, 15), date(2026, 1, 14))


def test_a_start_day_a_month_lacks_falls_on_its_last_day():
    feb = month_of(date(2026, 2, 28), (1, 31))
    assert (feb.start, feb.last) == (date(2026, 2, 28), date(2026, 3, 30))
    assert month_of(date(2026, 2, 27), (1, 31)).start == date(2026, 1, 31)
    leap = year_of(date(2027, 3, 1), (2, 29))
    assert (leap.start, leap.last) == (date(2027, 2, 28), date(2028, 2, 28))


def test_unknown_period():
    with pytest.raises(ValueError, match="unknown period 'week'"):
        window_of("week", date(2026, 1, 1))


def test_window_of_names_its_period_and_passes_the_day_and_start():
    assert window_of("year", date(2026, 3, 14), (3, 15)) == year_of(date(2026, 3, 14), (3, 15))
    assert window_of("month", date(2026, 3, 14), (3, 15)) == month_of(date(2026, 3, 14), (3, 15))
    assert (window_of("year", date(2026, 5, 1)).period, window_of("month", date(2026, 5, 1)).period) == (
        "year",
        "month",
    )
    with pytest.raises(ValueError, match=r"unknown period 'week'; expected one of year, month"):
        window_of("week", date(2026, 5, 1))
