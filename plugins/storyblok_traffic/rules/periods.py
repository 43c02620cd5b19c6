"""Billing periods (pure): the contract year and its months.

A contract year starting on (month, day) makes months start on that day of each month too, so a
contract signed on the 15th has months from the 15th to the 14th. A start day a month lacks (the
31st, or Feb 29) falls on that month's last day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

Period = Literal["year", "month"]
PERIODS: tuple[str, ...] = get_args(Period)
ADJECTIVE = {"year": "yearly", "month": "monthly"}


@dataclass(frozen=True)
class Window:
    """One period: ``start`` up to and including ``last``."""

    period: Period
    start: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.start).days + 1

    def days_to(self, day: date) -> int:
        """Days of the period up to and including ``day``."""
        return (day - self.start).days + 1


def _anchor(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def year_of(day: date, start: tuple[int, int] = (1, 1)) -> Window:
    month, dom = start
    first = _anchor(day.year, month, dom)
    if day < first:
        first = _anchor(day.year - 1, month, dom)
    following = _anchor(first.year + 1, month, dom)
    return Window("year", first, following - timedelta(days=1))


def month_of(day: date, start: tuple[int, int] = (1, 1)) -> Window:
    dom = start[1]
    first = _anchor(day.year, day.month, dom)
    if day < first:
        year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
        first = _anchor(year, month, dom)
    following = _anchor(*_next_month(first.year, first.month), dom)
    return Window("month", first, following - timedelta(days=1))


def window_of(period: str, day: date, start: tuple[int, int] = (1, 1)) -> Window:
    if period == "year":
        return year_of(day, start)
    if period == "month":
        return month_of(day, start)
    raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def each_day(first: date, last: date) -> list[date]:
    """Every day of ``first``..``last``, in order; none when ``last`` is before ``first``."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def calendar_months(first: date, last: date) -> list[tuple[date, date]]:
    """``first``..``last`` cut at calendar month boundaries, each piece (first, last)."""
    pieces = []
    while first <= last:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        pieces.append((first, min(last, following - timedelta(days=1))))
        first = following
    return pieces
