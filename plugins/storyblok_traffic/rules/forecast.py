"""Period-end forecast from the recent run rate (pure).

The rate is the mean of each weekday over the last ``window_days`` stored days, so a quiet weekend
neither hides a busy week nor raises a false alarm on Monday. A weekday with no sample in the
window takes the window's overall mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

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


def weekday_rates(daily: Sequence[tuple[date, int]], day: date, window_days: int) -> tuple[list[float], int]:
    """Mean usage per weekday (Monday first) over the window ending on ``day``; and the days it used."""
    first = day - timedelta(days=window_days - 1)
    sample = [(d, amount) for d, amount in daily if first <= d <= day]
    if not sample:
        return [0.0] * 7, 0
    overall = sum(amount for _, amount in sample) / len(sample)
    by_weekday: list[list[int]] = [[] for _ in range(7)]
    for d, amount in sample:
        by_weekday[d.weekday()].append(amount)
    return [sum(v) / len(v) if v else overall for v in by_weekday], len(sample)


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
    rates, basis = weekday_rates(daily, day, window_days)
    if basis < min_days:
        return None
    # (threshold, the usage that reaches it), lowest first: a day's step is then one comparison
    pending = [(t, need) for t in sorted(thresholds) if (need := least_reaching(limit, t)) is not None and usage < need]
    found: list[tuple[float, date]] = []
    total = float(usage)
    current = day
    while current < last:
        current += timedelta(days=1)
        total += rates[current.weekday()]
        while pending and int(total) >= pending[0][1]:
            found.append((pending.pop(0)[0], current))
    return Forecast(
        basis_days=basis,
        daily_rate=round(sum(rates) / 7, 1),
        projected_usage=int(total),
        crossings=tuple(found),
    )
