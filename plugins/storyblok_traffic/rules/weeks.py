"""ISO weeks (pure): the weekly digest's unit, Monday to Sunday in UTC, named ``2026-W49``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Week:
    """An ISO week: ``first`` (its Monday) to ``last`` (its Sunday)."""

    first: date

    @property
    def last(self) -> date:
        return self.first + timedelta(days=6)

    @property
    def label(self) -> str:
        year, number, _ = self.first.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def before(self) -> Week:
        return Week(self.first - timedelta(days=7))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(7)]

    def span(self) -> str:
        """``30 Nov - 6 Dec 2026``: the week's days as a person reads them."""
        first, last = self.first, self.last
        if first.year != last.year:
            return f"{first:%-d %b %Y} - {last:%-d %b %Y}"
        return f"{first:%-d %b} - {last:%-d %b %Y}"


def week_of(day: date) -> Week:
    return Week(day - timedelta(days=day.isoweekday() - 1))


def last_complete_week(day: date) -> Week:
    """The newest week that ended before ``day``: on a Monday the week just ended, on a Sunday the one
    before it (the day's own week is not over)."""
    return week_of(day - timedelta(days=day.isoweekday()))


def parse_week(text: str) -> Week:
    """``2026-W49`` (ISO 8601's week); anything else is refused naming the form wanted."""
    year, _, number = text.strip().upper().partition("-W")
    try:
        return Week(date.fromisocalendar(int(year), int(number), 1))
    except ValueError:
        if year.isdigit() and number == "53":
            raise ValueError(f"week {text!r}: {year} has 52 ISO weeks") from None
        raise ValueError(f"week {text!r} is not an ISO week such as 2026-W49 (year, -W, week number 01-53)") from None
