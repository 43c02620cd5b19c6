"""Usage rules: pure functions of numbers and dates (no I/O)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class Crossing:
    """A threshold in alarm: since ``crossed_on``, the first day of the current stretch at or above it."""

    threshold_pct: float
    crossed_on: date
    usage: int


@dataclass(frozen=True)
class Limits:
    """The limits one usage snapshot reported, from the day it was taken."""

    monthly: int
    yearly: int
    as_of: date

    def of(self, period: str) -> int:
        return self.yearly if period == "year" else self.monthly


def limit_in_force(history: Sequence[Limits], day: date) -> Limits | None:
    """The newest snapshot taken on or before ``day``, else the oldest (the best knowledge of older days).

    ``history`` is sorted by ``as_of``.
    """
    if not history:
        return None
    index = bisect_right([h.as_of for h in history], day)
    return history[index - 1] if index else history[0]


def percent_of(usage: int, limit: int) -> float | None:
    """Usage as a percent of the limit; None when the limit is zero or unknown."""
    if limit <= 0:
        return None
    return round(usage * 100 / limit, 2)


def reached(usage: int, limit: int, threshold_pct: float) -> bool:
    """Exact decimal comparison: usage exactly at the threshold counts as reached."""
    return limit > 0 and Decimal(usage) * 100 >= Decimal(limit) * Decimal(str(threshold_pct))


def alarms(
    daily: Sequence[tuple[date, int]],
    limit_on: Callable[[date], int],
    thresholds: Iterable[float],
    first: date,
    last: date,
) -> list[Crossing]:
    """The thresholds the cumulative usage from ``first`` stands at or above on ``last``.

    Each day is judged against the limit in force on that day, so a limit raised mid-period puts
    usage back below a threshold, and an old alarm keeps the day it started.
    """
    amounts = dict(daily)
    since: dict[float, tuple[date, int]] = {}
    total, day = 0, first
    while day <= last:
        total += amounts.get(day, 0)
        limit = limit_on(day)
        for threshold in thresholds:
            if not reached(total, limit, threshold):
                since.pop(threshold, None)
            elif threshold not in since:
                since[threshold] = (day, total)
        day += timedelta(days=1)
    return [Crossing(t, on, used) for t, (on, used) in sorted(since.items())]


def format_pct(value: float) -> str:
    return f"{value:g}%"
