"""Spike detection (pure): a day far above its series' normal for the same weekday, and out of its noise.

A series is the organisation's daily amount, or one space's, on the configured meter. Its **normal**
on a day is the median of the same weekday's amounts in the window before the day (56 days: eight of
each weekday), so busy Mondays are normal on Mondays and a few spike days do not move it.

A day **starts a spike** when all of these hold:

- its requests reach the floor, and its excess over the normal reaches ``min_excess`` (the caller's
  share of the monthly limit): small series and swings that do not move the bill page nobody;
- it is at least ``factor`` times its normal;
- it stands out of the series' own noise. The noise is measured on a log scale, as the robust spread
  (scaled median absolute deviation) of the series' **log daily ratio**: each earlier day's amount to
  its own normal, over the ``noise_days`` before. The day must be ``SINGLE_SIGMAS`` of that spread
  above the ratios' median; or, with the day before, two days in a row ``RUN_SIGMAS`` above it (both
  at ``factor`` or more): a rise that stays is caught on its second day even when neither day alone
  is remarkable. This is the robust residual test of seasonal hybrid ESD (median and MAD instead of
  mean and standard deviation) with a run rule of statistical process control.

A day **continues** an episode while it stays ``RECOVERY_SIGMAS`` above the ratios' median (and above
the floors), so one quieter day in a run of high ones does not end and restart it.

Every test is a ratio (scaling a series changes no verdict above the floors), and a day's log ratio is
compared with the same statistic of the series' own past, so its false-alarm rate depends on the
shape of its noise only through that spread (``benchmarks/spike_detection.py`` measures it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

MIN_HISTORY_DAYS = 14  # fewer days of a series in its window: no verdict
MIN_RATIOS = 7  # fewer earlier daily ratios to measure the noise on: no verdict
SINGLE_SIGMAS = 3.7  # one day this far above the series' usual log ratio starts a spike
RUN_SIGMAS = 2.5  # two days in a row this far above it start one
RECOVERY_SIGMAS = 0.5  # an episode goes on while its days stay this far above it
SIGMA_FLOOR = 0.05  # the least spread assumed (5 %): a flat series is not infinitely sensitive
# The standard deviation of a normal distribution's middle 80 %, in its own: dividing by it makes the
# trimmed spread estimate the whole distribution's.
_TRIMMED_SCALE = 0.6616

SPIKE, NORMAL, NEW, TOO_LITTLE, NO_VALUE = "spike", "normal", "new", "too_little_history", "no_value"

# A series' earlier days as the noise estimate needs them: day -> (normal, log ratio to it), or None
# (no normal yet). Only the days before a day decide its entry, so one memo serves every day a check
# judges, as long as the series' stored days do not change under it (a space that began within the
# noise days is judged without it: its ratios count from its first traffic).
Ratios = MutableMapping[date, tuple[float, float] | None]


@dataclass(frozen=True)
class SpikeRule:
    factor: float  # 0: spikes off
    min_requests: int
    window_days: int
    noise_days: int = 112

    @property
    def on(self) -> bool:
        return self.factor > 0

    @property
    def least_ratio(self) -> float:
        """The least ratio to its normal of a day that starts a spike: a day of a two-day run may be
        below the factor, down to its square root, when the two average the factor."""
        return math.sqrt(self.factor)


@dataclass(frozen=True)
class Day:
    """One day of a series: the meter's amount (None: not known) and its requests (for the floor)."""

    amount: int | None
    requests: int


@dataclass(frozen=True)
class Verdict:
    """What ``judge`` found for one series on one day."""

    status: str  # SPIKE, NORMAL, NEW, TOO_LITTLE or NO_VALUE
    amount: int = 0
    normal: float = 0.0  # the median of the same weekday in the window
    history_days: int = 0
    sigmas: float | None = None  # how far above the series' usual log ratio, in its robust spread

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


def judge(
    series: Mapping[date, Day],
    day: date,
    rule: SpikeRule,
    new_allowed: bool = False,
    *,
    min_excess: float = 0.0,
    in_episode: bool = False,
    memo: Ratios | None = None,
) -> Verdict:
    """The verdict on ``day`` for a series (its stored days; a day not in it is unknown).

    ``new_allowed``: the series may be new (a space): no traffic at all before ``day`` in the window
    and enough on ``day`` is reported as NEW, not judged against a normal of nothing.
    ``min_excess``: the least excess over the normal that starts a spike. ``in_episode``: the series
    is in a spike episode; the day is judged by whether it goes on. ``memo``: the series' daily ratios
    as earlier calls found them (see ``Ratios``).
    """
    today = series.get(day)
    if today is None or today.amount is None:
        return Verdict(NO_VALUE)
    window = [day - timedelta(days=i) for i in range(rule.window_days, 0, -1)]
    known = [(d, x) for d in window if (x := series.get(d)) is not None and x.amount is not None]
    if new_allowed:
        known = _since_first_traffic(known)
        if not known:
            enough = today.requests >= rule.min_requests and today.amount > 0 and today.amount >= min_excess
            status = NEW if enough else TOO_LITTLE
            return Verdict(status, today.amount)
    if len(known) < MIN_HISTORY_DAYS:
        return Verdict(TOO_LITTLE, today.amount, history_days=len(known))
    same_weekday = [int(x.amount or 0) for d, x in known if d.weekday() == day.weekday()]
    normal = float(median(same_weekday)) if same_weekday else 0.0
    quiet = Verdict(NORMAL, today.amount, normal, len(known))
    if today.requests < rule.min_requests or today.amount <= 0 or today.amount - normal < min_excess:
        return quiet
    if not in_episode and today.amount < rule.least_ratio * normal:
        return quiet  # the cheap test first: most days end here, without the noise
    memo = {} if memo is None else memo
    noise_days = _noise_days(day, rule)
    # A space's days before its first traffic are not its noise (nothing to a normal of nothing); an
    # organisation without traffic is a flat series, and its days are.
    first = date.min
    if new_allowed:
        began = next((d for d in noise_days if (x := series.get(d)) is not None and x.amount), day)
        if began > noise_days[0]:  # a space that began (or came back) in the noise days: its own ratios
            first, memo = began, {}
    ratios = [r[1] for d in noise_days if (r := _ratio(series, d, rule, memo, first)) is not None]
    if len(ratios) < MIN_RATIOS:
        return Verdict(TOO_LITTLE, today.amount, history_days=len(known))
    centre, spread = _centre_and_spread(ratios)
    sigmas = (_log_ratio(today.amount, normal) - centre) / spread
    found = Verdict(SPIKE, today.amount, normal, len(known), round(sigmas, 2))
    if in_episode:
        return found if sigmas >= RECOVERY_SIGMAS else _replace_status(found, NORMAL)
    widen = _small_sample(len(ratios))
    if sigmas >= SINGLE_SIGMAS * widen and today.amount >= rule.factor * normal:
        return found
    before = _day_before(series, day, rule, memo, first, min_excess)
    bar = RUN_SIGMAS * widen
    if (
        before is not None
        and min(sigmas, (before - centre) / spread) >= bar
        and _averages_factor(before, today, normal, rule)
    ):
        return found  # two days in a row out of the noise
    return _replace_status(found, NORMAL)


def _replace_status(verdict: Verdict, status: str) -> Verdict:
    return Verdict(status, verdict.amount, verdict.normal, verdict.history_days, verdict.sigmas)


def _small_sample(n: int) -> float:
    """Widens the bar when the spread rests on few ratios (7: by half; 112: by 3 %)."""
    return 1.0 + 3.5 / n


def _noise_days(day: date, rule: SpikeRule) -> list[date]:
    return [day - timedelta(days=i) for i in range(rule.noise_days, 0, -1)]


def _log_ratio(amount: float, normal: float) -> float:
    return math.log(max(amount, 1.0)) - math.log(max(normal, 1.0))


def _ratio(
    series: Mapping[date, Day], d: date, rule: SpikeRule, memo: Ratios, first: date
) -> tuple[float, float] | None:
    """Day ``d``'s normal and log ratio to it (None: not known, or no same weekday before it)."""
    if d < first:
        return None
    if d not in memo:
        memo[d] = _ratio_of(series, d, rule, first)
    return memo[d]


def _ratio_of(series: Mapping[date, Day], d: date, rule: SpikeRule, first: date) -> tuple[float, float] | None:
    """Day ``d``'s normal as ``judge`` finds it, from its same weekdays on or after ``first``."""
    x = series.get(d)
    if x is None or x.amount is None:
        return None
    back = [d - timedelta(days=7 * k) for k in range(1, rule.window_days // 7 + 1)]
    weeks = [series.get(w) for w in back if w >= first]
    same = [w.amount for w in weeks if w is not None and w.amount is not None]
    if not same:
        return None
    normal = float(median(same))
    return normal, _log_ratio(x.amount, normal)


def _centre_and_spread(ratios: list[float]) -> tuple[float, float]:
    """The median of the log ratios and their spread: the standard deviation of the middle 80 %, scaled
    to the whole for normal noise (a trimmed estimate: the 10 % at each end, spikes among them, do not
    move it, and it varies half as much as the MAD on the same days)."""
    ordered = sorted(ratios)
    n = len(ordered)
    centre = median(ordered)
    cut = n // 10
    middle = ordered[cut : n - cut]
    mean = sum(middle) / len(middle)
    spread = math.sqrt(sum((r - mean) ** 2 for r in middle) / max(1, len(middle) - 1)) / _TRIMMED_SCALE
    return centre, max(SIGMA_FLOOR, spread)


def _averages_factor(before: float, today: Day, normal: float, rule: SpikeRule) -> bool:
    """Whether a two-day run (the day before's log ratio, and today) is at least the factor on average,
    each day at least ``least_ratio``."""
    mean = (before + _log_ratio(today.amount or 0, normal)) / 2
    return before >= math.log(rule.least_ratio) and mean >= math.log(rule.factor)


def _day_before(
    series: Mapping[date, Day], day: date, rule: SpikeRule, memo: Ratios, first: date, min_excess: float
) -> float | None:
    """The log ratio of the day before to its normal, if that day passed the floors (else None)."""
    before = day - timedelta(days=1)
    x = series.get(before)
    found = _ratio(series, before, rule, memo, first)
    if x is None or x.amount is None or found is None:
        return None
    normal, ratio = found
    return ratio if x.requests >= rule.min_requests and x.amount - normal >= min_excess else None


def cannot_alarm(today: Day, same_weekday: Sequence[int | None], rule: SpikeRule, min_excess: float = 0.0) -> bool:
    """Whether ``judge(series, day, rule, new_allowed=True, min_excess=min_excess)`` (not in an
    episode) is surely neither SPIKE nor NEW, from the day itself and the series' amounts on the
    same weekday 1, 2, ... weeks before, as far as the window reaches (None: a day not stored, or its
    amount not known).

    A check of a year judges every busy space on every day, and most are far below any spike. If each
    of those weekdays is stored with an amount above zero, none of them is cut as "before the first
    traffic": the space is not new, and its normal is their median. A day below ``least_ratio`` times
    it, or less than ``min_excess`` above it, is no spike.
    """
    if today.amount is None or today.amount <= 0 or today.requests < rule.min_requests:
        return True
    if not same_weekday or not all(same_weekday):
        return False
    normal = float(median([a for a in same_weekday if a is not None]))
    return today.amount < rule.least_ratio * normal or today.amount - normal < min_excess


def least_busy(rule: SpikeRule, meter: str, min_excess: float) -> int:
    """The requests a space needs on a day to be judged at all: the floor, and on the requests meter
    the least excess too (a day's excess is at most its amount). Spaces below it on every day of a
    check are not even read."""
    return max(rule.min_requests, math.ceil(min_excess) if meter == "requests" else 0)


def _since_first_traffic(known: list[tuple[date, Day]]) -> list[tuple[date, Day]]:
    first = next((i for i, (_, x) in enumerate(known) if x.amount), None)
    return [] if first is None else known[first:]


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
