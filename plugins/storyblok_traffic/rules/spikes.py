"""Spike detection (pure): a day far above its series' normal for the same weekday.

A series is the organisation's daily amount, or one space's, on the configured metric. Its normal on
a day is the median of the same weekday's amounts in the window before the day (28 days: four of each
weekday), so busy Mondays are normal on Mondays and a few spike days do not move it. A day is a spike
when its amount is at least ``factor`` times the normal, its requests reach the floor (small series
do not page anyone), and it stands out of the series' own noise: the spread of the window's days
around their weekday normals (median absolute deviation), so a series that often triples is not
news when it triples. Every test is a ratio or a count, so scaling a series does not change a verdict
(above the floor).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

MIN_HISTORY_DAYS = 14  # fewer days of a series in its window: no verdict
NOISE_MADS = 6.0  # how many (scaled) median absolute deviations above its usual ratio a spike must be
MAD_SCALE = 1.4826  # makes the MAD estimate a standard deviation for normally distributed noise

SPIKE, NORMAL, NEW, TOO_LITTLE, NO_VALUE = "spike", "normal", "new", "too_little_history", "no_value"


@dataclass(frozen=True)
class SpikeRule:
    factor: float  # 0: spikes off
    min_requests: int
    window_days: int

    @property
    def on(self) -> bool:
        return self.factor > 0


@dataclass(frozen=True)
class Day:
    """One day of a series: the metric's amount (None: not known) and its requests (for the floor)."""

    amount: int | None
    requests: int


@dataclass(frozen=True)
class Verdict:
    """What ``judge`` found for one series on one day."""

    status: str  # SPIKE, NORMAL, NEW, TOO_LITTLE or NO_VALUE
    amount: int = 0
    normal: float = 0.0  # the median of the same weekday in the window
    history_days: int = 0

    @property
    def factor(self) -> float | None:
        """How many times the normal; None when the normal is zero."""
        return self.amount / self.normal if self.normal > 0 else None

    @property
    def excess(self) -> float:
        return max(0.0, self.amount - self.normal)

    @property
    def is_alarm(self) -> bool:
        return self.status in (SPIKE, NEW)


def judge(series: Mapping[date, Day], day: date, rule: SpikeRule, new_allowed: bool = False) -> Verdict:
    """The verdict on ``day`` for a series (its stored days; a day not in it is unknown).

    ``new_allowed``: the series may be new (a space): no traffic at all before ``day`` in the window
    and enough on ``day`` is reported as NEW, not judged against a normal of nothing.
    """
    today = series.get(day)
    if today is None or today.amount is None:
        return Verdict(NO_VALUE)
    window = [day - timedelta(days=i) for i in range(rule.window_days, 0, -1)]
    known = [(d, series[d]) for d in window if d in series and series[d].amount is not None]
    if new_allowed:
        known = _since_first_traffic(known)
        if not known:
            status = NEW if today.requests >= rule.min_requests and today.amount > 0 else TOO_LITTLE
            return Verdict(status, today.amount)
    if len(known) < MIN_HISTORY_DAYS:
        return Verdict(TOO_LITTLE, today.amount, history_days=len(known))
    amounts = [(d, int(x.amount or 0)) for d, x in known]
    same_weekday = [amount for d, amount in amounts if d.weekday() == day.weekday()]
    normal = float(median(same_weekday)) if same_weekday else 0.0
    verdict = Verdict(NORMAL, today.amount, normal, len(known))
    if today.requests < rule.min_requests or today.amount <= 0:
        return verdict
    if normal <= 0:
        return Verdict(SPIKE, today.amount, normal, len(known))
    ratio = today.amount / normal
    if ratio >= rule.factor and ratio >= _noise_bar(amounts, _weekday_normals(amounts)):
        return Verdict(SPIKE, today.amount, normal, len(known))
    return verdict


def cannot_alarm(today: Day, same_weekday: Sequence[int | None], rule: SpikeRule) -> bool:
    """Whether ``judge(series, day, rule, new_allowed=True)`` is surely neither SPIKE nor NEW, from the
    day itself and the series' amounts on the same weekday 1, 2, ... weeks before, as far as the window
    reaches (None: a day not stored, or its amount not known).

    A check of a year judges every busy space on every day, and most are far below any spike. If each
    of those weekdays has an amount above zero, none of them is cut as "before the first traffic", so
    the space is not new and its normal (their median) is at least their least. A day below ``factor``
    times that least is no spike.
    """
    if today.amount is None or today.amount <= 0 or today.requests < rule.min_requests:
        return True
    if not all(same_weekday):
        return False
    least = min(a for a in same_weekday if a is not None)
    # a hair below the bar: float rounding never rules out a day judge() would call a spike
    return today.amount < rule.factor * least * (1 - 1e-9)


def _since_first_traffic(known: list[tuple[date, Day]]) -> list[tuple[date, Day]]:
    first = next((i for i, (_, x) in enumerate(known) if x.amount), None)
    return [] if first is None else known[first:]


def _weekday_normals(amounts: Sequence[tuple[date, int]]) -> dict[int, float]:
    by_weekday: dict[int, list[int]] = {}
    for d, amount in amounts:
        by_weekday.setdefault(d.weekday(), []).append(amount)
    return {weekday: float(median(values)) for weekday, values in by_weekday.items()}


def _noise_bar(amounts: Sequence[tuple[date, int]], normals: Mapping[int, float]) -> float:
    """The ratio to its normal a day must reach to stand out of the series' own day-to-day spread."""
    ratios = [amount / normals[d.weekday()] for d, amount in amounts if normals[d.weekday()] > 0]
    if not ratios:
        return 0.0
    centre = median(ratios)
    spread = median(abs(r - centre) for r in ratios) * MAD_SCALE
    return centre + NOISE_MADS * spread


@dataclass(frozen=True)
class Share:
    """A space's part of the organisation's excess over its normal."""

    space_id: str
    extra: int
    share_pct: float


def attribute(org_excess: float, spaces: Mapping[str, Verdict], limit: int = 5) -> list[Share]:
    """The spaces that explain an excess: their extra traffic over their own normal, largest first.

    A space without a normal (new, or too little history) counts all its traffic as extra.
    """
    extras = {
        space: v.amount - (v.normal if v.status in (SPIKE, NORMAL) else 0.0)
        for space, v in spaces.items()
        if v.status != NO_VALUE
    }
    positive = sorted(((x, s) for s, x in extras.items() if x > 0), key=lambda pair: (-pair[0], pair[1]))
    base = org_excess if org_excess > 0 else sum(x for x, _ in positive)
    if base <= 0:
        return []
    named = [Share(space, round(extra), round(extra * 100 / base, 1)) for extra, space in positive[:limit]]
    return [s for s in named if s.share_pct >= 5.0] or named[:1]


def limit_reached_at_rate(used: int, limit: int, rate: int, day: date, last: date) -> date | None:
    """The day a period's limit is reached if every day after ``day`` used ``rate``; None: not by ``last``.

    ``used`` is the period's usage through ``day``; already over the limit: ``day`` itself.
    """
    if limit <= 0:
        return None
    if used >= limit:
        return day
    if rate <= 0:
        return None
    reached = day + timedelta(days=math.ceil((limit - used) / rate))
    return reached if reached <= last else None
