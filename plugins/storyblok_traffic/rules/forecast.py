"""Period-end forecast from the recent run rate (pure).

The rate is the mean of each weekday over the last ``window_days`` stored days, so a quiet weekend
neither hides a busy week nor raises a false alarm on Monday. A weekday with no sample in the
window takes the window's overall mean.

The projection is exact: the means are fractions, counted in integers over their common
denominator, so a threshold is reached on the day the exact sum reaches it (as ``reached`` decides
for stored usage), and whole weeks are added at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from math import lcm

from storyblok_traffic.rules.usage import least_reaching


@dataclass(frozen=True)
class Forecast:
    """Where usage is heading by the period's last day, and when each threshold would be reached."""

    basis_days: int  # stored days the rate comes from
    daily_rate: float  # mean per day over the basis
    projected_usage: int  # at the end of the period's last day
    crossings: tuple[tuple[float, date], ...]  # (threshold, projected day), thresholds not yet reached

    def crossing_of(self, threshold: float) -> date | None:
        return dict(self.crossings).get(threshold)


@dataclass(frozen=True)
class WeekdayRates:
    """Each weekday's mean (Monday first) as a fraction: ``per_day[i] / scale``."""

    per_day: tuple[int, ...]
    scale: int
    basis_days: int

    @property
    def rates(self) -> list[float]:
        return [amount / self.scale for amount in self.per_day]


def weekday_rates_of(daily: Sequence[tuple[date, int]], day: date, window_days: int) -> WeekdayRates:
    """The weekday means over the window ending on ``day`` (``daily`` sorted by day)."""
    first = day - timedelta(days=window_days - 1)
    sums, counts = [0] * 7, [0] * 7
    for d, amount in daily:
        if first <= d <= day:
            sums[d.weekday()] += amount
            counts[d.weekday()] += 1
    basis = sum(counts)
    if not basis:
        return WeekdayRates((0,) * 7, 1, 0)
    total = sum(sums)
    # a weekday without a sample takes the overall mean, total / basis
    scale = lcm(*(c or basis for c in counts))
    per_day = tuple(s * (scale // c) if c else total * (scale // basis) for s, c in zip(sums, counts, strict=True))
    return WeekdayRates(per_day, scale, basis)


def weekday_rates(daily: Sequence[tuple[date, int]], day: date, window_days: int) -> tuple[list[float], int]:
    """Mean usage per weekday (Monday first) over the window ending on ``day``; and the days it used."""
    found = weekday_rates_of(daily, day, window_days)
    return found.rates, found.basis_days


def project(
    daily: Sequence[tuple[date, int]],
    day: date,
    last: date,
    usage: int,
    limit: int,
    thresholds: Iterable[float],
    window_days: int = 28,
    min_days: int = 14,
) -> Forecast | None:
    """Project ``usage`` (the period to ``day``) to ``last``; None when fewer than ``min_days`` stored days.

    ``limit`` is the limit in force on ``day``: a forecast cannot know of future upgrades.
    """
    rates = weekday_rates_of(daily, day, window_days)
    if rates.basis_days < min_days:
        return None
    # (threshold, the usage that reaches it), lowest first
    pending = [(t, need) for t in sorted(thresholds) if (need := least_reaching(limit, t)) is not None and usage < need]
    walk = _Walk(rates, day, usage * rates.scale, (last - day).days)
    found: list[tuple[float, date]] = []
    for threshold, need in pending:
        on = walk.until(need * rates.scale)
        if on is None:
            break
        found.append((threshold, on))
    walk.until(None)
    return Forecast(
        basis_days=rates.basis_days,
        daily_rate=round(sum(rates.rates) / 7, 1),
        projected_usage=walk.total // rates.scale,
        crossings=tuple(found),
    )


class _Walk:
    """The projected total (scaled) day after day to the period's end, whole weeks in one step."""

    def __init__(self, rates: WeekdayRates, day: date, total: int, days_left: int) -> None:
        self.per_day, self.week = rates.per_day, sum(rates.per_day)
        self.day, self.total, self.days_left = day, total, days_left

    def until(self, target: int | None) -> date | None:
        """Walk to the first day the total reaches ``target`` (None: to the end); that day, or None."""
        if target is not None and self.total >= target:
            return self.day
        # Whole weeks that end below the target: no day inside them reaches it either (rates are >= 0).
        weeks = self.days_left // 7
        if target is not None and self.week:
            weeks = min(weeks, (target - self.total - 1) // self.week)
        self.total += weeks * self.week
        self.day += timedelta(days=7 * weeks)
        self.days_left -= 7 * weeks
        while self.days_left:
            self.day += timedelta(days=1)
            self.days_left -= 1
            self.total += self.per_day[self.day.weekday()]
            if target is not None and self.total >= target:
                return self.day
        return None
