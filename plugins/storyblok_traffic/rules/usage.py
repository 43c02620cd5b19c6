"""Usage rules: pure functions of numbers and dates (no I/O)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal


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
    return AlarmRun(tuple(thresholds), first).advance(dict(daily), limit_on, last)


class AlarmRun:
    """``alarms`` of one period kept day after day: each further day costs one step.

    A check of a year evaluates 365 days; asking ``alarms`` from the period's start each time walked
    about 66,000 days. The caller keeps one run per period while the stored amounts do not change.
    """

    def __init__(self, thresholds: Sequence[float], first: date) -> None:
        self.thresholds = tuple(thresholds)
        self.day = first - timedelta(days=1)  # the last day counted
        self.total = 0
        self.days_with_data = 0  # days counted that had an amount
        self.since: dict[float, tuple[date, int]] = {}
        self._needed: dict[int, list[int | None]] = {}

    def advance(self, amounts: Mapping[date, int], limit_on: Callable[[date], int], last: date) -> list[Crossing]:
        """Count the days after the last one counted through ``last``; the crossings as of ``last``."""
        day = self.day + timedelta(days=1)
        while day <= last:
            amount = amounts.get(day)
            if amount is not None:
                self.total += amount
                self.days_with_data += 1
            for threshold, need in zip(self.thresholds, self._need(limit_on(day)), strict=True):
                if need is None or self.total < need:
                    self.since.pop(threshold, None)
                elif threshold not in self.since:
                    self.since[threshold] = (day, self.total)
            day += timedelta(days=1)
        self.day = max(self.day, last)
        return [Crossing(t, on, used) for t, (on, used) in sorted(self.since.items())]

    def _need(self, limit: int) -> list[int | None]:
        """The least usage that reaches each threshold under ``limit`` (as ``reached`` decides); None: never."""
        needed = self._needed.get(limit)
        if needed is None:
            needed = self._needed[limit] = [least_reaching(limit, t) for t in self.thresholds]
        return needed


def least_reaching(limit: int, threshold_pct: float) -> int | None:
    """The least usage that ``reached`` counts as at ``threshold_pct`` of ``limit``; None: no usage does."""
    if limit <= 0:
        return None
    exact = Decimal(limit) * Decimal(str(threshold_pct)) / 100
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def format_pct(value: float) -> str:
    return f"{value:g}%"


def counted(count: int, noun: str) -> str:
    """``1 day``, ``3 days``: a count with its noun, singular or plural as English has it (nouns with a
    regular plural only)."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
