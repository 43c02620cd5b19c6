"""Spike trials: how often the spike rule cries wolf on noise, and how often it catches a real spike.

Synthetic daily series of a year (seeded: the same figures on every run), judged day by day by
``rules.spikes.judge`` with the default settings (without the share of the monthly limit, which only
makes it quieter), as the daily check judges a space, episode by episode:

- **noise**: no spike anywhere; every episode (a run of spike days) is a false alarm, counted per
  series and year;
- **injected**: one day at 3x, 5x, 10x, 30x its normal, or at 6 robust sigma of the series' own
  log daily ratio above it (at least the factor), caught on its day; three days at 3x, caught on one
  of them; a step to 4x that stays, caught within two days;
- **level shift**: the series doubles (or quadruples) mid-year and stays: episodes started after it.

The series' log daily ratio is each day's amount to its normal (the rule's: the median of the same
weekday in the window before), on a log scale; its robust sigma is the scaled MAD over the judged year.

``table(series)`` runs every trial with that many series per shape: ``make bench`` with 200
(``benchmarks/spike_detection.py``), the unit tests with a few.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.rules.spikes import SPIKE, Day, Ratios, SpikeRule, judge

FIRST = date(2025, 1, 6)  # a Monday
_DEFAULTS = OrgConfig(conn_id="bench")
RULE = SpikeRule(
    _DEFAULTS.spike_factor, _DEFAULTS.spike_min_requests, _DEFAULTS.spike_window_days, _DEFAULTS.spike_noise_days
)
WARM = RULE.window_days + RULE.noise_days  # days before the judged year: a full noise estimate on its first day
DAYS = 365 + WARM
JUDGED = range(WARM, DAYS)
QUIET_WEEKLY = "log-normal sigma 0.3, weekly"  # the quiet series: a 5x day and a step to 4x must be caught there
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
    Shape(QUIET_WEEKLY, _lognormal(0.3), weekly=True),
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


def spikes_on(days: dict[date, Day], indices: range, memo: Ratios | None = None) -> list[bool]:
    """Each day's verdict, judged as the daily check does: a day in an episode by whether it goes on."""
    memo = {} if memo is None else memo
    flags: list[bool] = []
    for i in indices:
        in_episode = bool(flags) and flags[-1]
        verdict = judge(days, FIRST + timedelta(days=i), RULE, in_episode=in_episode, memo=memo)
        flags.append(verdict.status == SPIKE)
    return flags


def episodes(flags: list[bool]) -> int:
    """Runs of consecutive spike days: each is one notice (and one "back to normal")."""
    return sum(1 for i, f in enumerate(flags) if f and (i == 0 or not flags[i - 1]))


def robust_sigma(amounts: list[float]) -> float:
    """The robust spread (scaled MAD) of a series' log daily ratio to its normal, over the judged year."""
    days = as_days(amounts)
    logs = [math.log(max(amounts[i], 1.0) / max(normal_of(days, i), 1.0)) for i in JUDGED]
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


def level_shift(times: float, series: int) -> float:
    """Episodes per series started on or after a mid-year level shift (sigma 0.3, weekly) that stays."""
    rng = random.Random(2399)
    found = []
    middle = WARM + 365 // 2
    for _ in range(series):
        amounts = series_of(SHAPES[3], rng)
        for i in range(middle, DAYS):
            amounts[i] *= times
        found.append(episodes(spikes_on(as_days(amounts), range(middle - 1, DAYS))[1:]))
    return round(sum(found) / series, 2)


INJECTED = ("3x", "5x", "10x", "30x", "6 sigma", "3 days at 3x", "step 4x")


def table(series: int) -> dict[str, Any]:
    """Every trial, ``series`` series of each shape: noise and injected spikes per shape, level shifts."""
    rows = []
    for n, shape in enumerate(SHAPES):
        rng = random.Random(2300 + n)
        noise = [episodes(spikes_on(as_days(series_of(shape, rng)), JUDGED)) for _ in range(series)]
        row: dict[str, Any] = {"shape": shape.name, "noise_episodes_per_series_year": round(sum(noise) / series, 3)}
        for how in INJECTED:
            row[how] = round(100 * sum(caught(shape, rng, how) for _ in range(series)) / series, 1)
        rows.append(row)
    return {
        "series_per_shape": series,
        "rows": rows,
        "level_shift_x2_episodes_per_series": level_shift(2.0, series),
        "level_shift_x4_episodes_per_series": level_shift(4.0, series),
    }
