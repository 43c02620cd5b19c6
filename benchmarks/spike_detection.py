"""How often the spike rule cries wolf on noise, and how often it catches a real spike (issue 23).

Synthetic daily series of a year (200 of each shape by default, seeded), judged day by day by
``rules.spikes.judge`` with the default settings, as the daily check judges a space:

- **noise**: no spike anywhere; every episode (a run of spike days) is a false alarm, counted per
  series and year;
- **injected**: one day at 3x, 5x, 10x, 30x its normal, or at 6 robust sigma of the series' own
  log daily ratio above it (at least the factor), caught on its day; three days at 3x, caught on one
  of them; a step to 4x that stays, caught within two days;
- **level shift**: the series doubles mid-year and stays: episodes started after the shift.

Prints one JSON line (``benchmarks.run`` makes the table). ``SPIKE_SERIES`` sets the series per shape.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from benchmarks.common import peak_rss_mb
from storyblok_traffic.rules.spikes import Day, SpikeRule, judge

SERIES = int(os.environ.get("SPIKE_SERIES", "200"))
FIRST = date(2025, 1, 6)  # a Monday
DAYS = 365 + 56  # the window's weeks before the judged year
JUDGED = range(56, DAYS)
RULE = SpikeRule(factor=3.0, min_requests=1_000, window_days=28)
WEEKLY = (1.15, 1.2, 1.2, 1.1, 1.0, 0.6, 0.5)  # Monday first: a working week, a quiet weekend
MEDIAN = 3_000


@dataclass(frozen=True)
class Shape:
    name: str
    draw: Callable[[random.Random, int], float]  # (rng, day index) -> amount before the weekly pattern
    weekly: bool = False
    trend: float = 0.0  # growth over the series, as a share (0.5: +50 %)


def _lognormal(sigma: float) -> Callable[[random.Random, int], float]:
    return lambda rng, _: MEDIAN * math.exp(rng.gauss(0.0, sigma))


def _poisson(rng: random.Random, _: int) -> float:
    # Normal approximation of Poisson(3000): its spread is sqrt(3000), about 1.8 %.
    return max(0.0, rng.gauss(MEDIAN, math.sqrt(MEDIAN)))


SHAPES = (
    Shape("uniform 0..5,000", lambda rng, _: rng.uniform(0, 5_000)),
    Shape("Poisson, mean 3,000", _poisson),
    Shape("log-normal sigma 0.3", _lognormal(0.3)),
    Shape("log-normal sigma 0.3, weekly", _lognormal(0.3), weekly=True),
    Shape("log-normal sigma 0.6", _lognormal(0.6)),
    Shape("log-normal sigma 0.6, weekly", _lognormal(0.6), weekly=True),
    Shape("log-normal sigma 1.0", _lognormal(1.0)),
    Shape("log-normal sigma 1.0, weekly", _lognormal(1.0), weekly=True),
    Shape("log-normal sigma 0.3, weekly, +50 %/year", _lognormal(0.3), weekly=True, trend=0.5),
)


def series_of(shape: Shape, rng: random.Random) -> list[float]:
    out = []
    for i in range(DAYS):
        amount = shape.draw(rng, i)
        if shape.weekly:
            amount *= WEEKLY[(FIRST + timedelta(days=i)).weekday()]
        out.append(amount * (1 + shape.trend * i / DAYS))
    return out


def as_days(amounts: list[float]) -> dict[date, Day]:
    return {FIRST + timedelta(days=i): Day(round(a), round(a)) for i, a in enumerate(amounts)}


def spikes_on(days: dict[date, Day], indices: range) -> list[bool]:
    return [judge(days, FIRST + timedelta(days=i), RULE).status == "spike" for i in indices]


def episodes(flags: list[bool]) -> int:
    """Runs of consecutive spike days: each is one notice (and one "back to normal")."""
    return sum(1 for i, f in enumerate(flags) if f and (i == 0 or not flags[i - 1]))


def robust_sigma(amounts: list[float]) -> float:
    """The robust spread (scaled MAD) of a series' log ratio to its weekday normal, over the judged year."""
    by_weekday: dict[int, list[float]] = {}
    for i in JUDGED:
        by_weekday.setdefault(i % 7, []).append(max(amounts[i], 1.0))
    normals = {w: median(v) for w, v in by_weekday.items()}
    logs = [math.log(max(amounts[i], 1.0) / normals[i % 7]) for i in JUDGED]
    centre = median(logs)
    return median(abs(x - centre) for x in logs) * 1.4826


def normal_of(days: dict[date, Day], i: int) -> float:
    """The rule's normal on day ``i``: the median of the same weekday in the window before it."""
    same = [days[FIRST + timedelta(days=i - k)].amount or 0 for k in range(7, RULE.window_days + 1, 7)]
    return float(median(same))


def caught(shape: Shape, rng: random.Random, how: str) -> bool:
    amounts = series_of(shape, rng)
    at = rng.choice(JUDGED[:-3])
    days = as_days(amounts)
    normal = max(normal_of(days, at), 1.0)
    if how == "step 4x":
        for i in range(at, DAYS):
            amounts[i] *= 4
        return any(spikes_on(as_days(amounts), range(at, at + 2)))
    if how == "3 days at 3x":
        for i in range(at, at + 3):
            amounts[i] = normal * 3 * WEEKLY[i % 7] / WEEKLY[at % 7] if shape.weekly else normal * 3
        return any(spikes_on(as_days(amounts), range(at, at + 3)))
    if how == "6 sigma":  # and at least the factor (a hair above it: the rule compares exactly)
        factor = max(RULE.factor * 1.01, math.exp(6 * robust_sigma(amounts)))
    else:
        factor = float(how.rstrip("x"))
    amounts[at] = normal * factor
    return spikes_on(as_days(amounts), range(at, at + 1))[0]


INJECTED = ("3x", "5x", "10x", "30x", "6 sigma", "3 days at 3x", "step 4x")


def main() -> None:
    started = time.perf_counter()
    rows = []
    for n, shape in enumerate(SHAPES):
        rng = random.Random(2300 + n)  # noqa: S311 (synthetic series, seeded)
        noise = [episodes(spikes_on(as_days(series_of(shape, rng)), JUDGED)) for _ in range(SERIES)]
        row: dict[str, object] = {"shape": shape.name, "noise_episodes_per_series_year": round(sum(noise) / SERIES, 3)}
        for how in INJECTED:
            row[how] = round(100 * sum(caught(shape, rng, how) for _ in range(SERIES)) / SERIES, 1)
        rows.append(row)
    shift = []
    rng = random.Random(2399)  # noqa: S311
    for _ in range(SERIES):
        amounts = series_of(SHAPES[3], rng)
        middle = DAYS // 2
        for i in range(middle, DAYS):
            amounts[i] *= 2
        shift.append(episodes(spikes_on(as_days(amounts), range(middle, DAYS))))
    print(
        json.dumps(
            {
                "series_per_shape": SERIES,
                "rows": rows,
                "level_shift_x2_episodes_per_series": round(sum(shift) / SERIES, 2),
                "seconds": round(time.perf_counter() - started, 1),
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
