"""ISO weeks, the weekly digest's (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storyblok_traffic.rules.weeks import Week, last_complete_week, parse_week, week_of


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 12, 7), "2026-W49"),  # a Monday: the week that ended the day before
        (date(2026, 12, 13), "2026-W49"),  # its Sunday: its own week is not over
        (date(2026, 12, 14), "2026-W50"),
        (date(2027, 1, 4), "2026-W53"),  # 2026 has 53 ISO weeks; 2027-W01 starts on 4 January
        (date(2021, 1, 4), "2020-W53"),
    ],
)
def test_the_last_complete_week_is_the_newest_that_ended_before_the_day(day, label):
    week = last_complete_week(day)
    assert week.label == label
    assert week.first.isoweekday() == 1
    assert week.last < day <= week.last + timedelta(days=7)


def test_a_week_has_seven_days_from_its_monday_and_reads_as_a_span():
    week = week_of(date(2026, 12, 3))
    assert week.days() == [date(2026, 11, 30) + timedelta(days=n) for n in range(7)]
    assert (week.first, week.last, week.before.first) == (date(2026, 11, 30), date(2026, 12, 6), date(2026, 11, 23))
    assert week.span() == "30 Nov - 6 Dec 2026"
    assert Week(date(2025, 12, 29)).span() == "29 Dec 2025 - 4 Jan 2026"


@pytest.mark.parametrize("label", ["2026-W49", "2026-W01", "2026-W53", "2020-W53"])
def test_a_label_parses_to_its_week(label):
    assert parse_week(label).label == label
    assert parse_week(label.lower()).label == label


def test_a_53rd_week_of_a_year_of_52_is_refused_saying_so():
    with pytest.raises(ValueError, match="week '2025-W53': 2025 has 52 ISO weeks"):
        parse_week("2025-W53")


@pytest.mark.parametrize("text", ["2026-W54", "2026-W00", "2026-49", "W49", "2026-W4x", ""])
def test_anything_but_an_iso_week_is_refused_naming_the_form(text):
    with pytest.raises(ValueError, match="is not an ISO week such as 2026-W49"):
        parse_week(text)
