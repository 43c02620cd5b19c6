"""Alert state (pure): one row per (org, period, period start, kind, threshold, meter) and how a run moves it.

A notice is due (status ``pending``) only on a transition: into alarm, or, for an actual threshold
already notified or due, back below it because a higher limit came into force. Runs for days older than the
lookback record the same transitions as ``suppressed`` / ``cleared`` and notify nobody. A run only
moves a row forward in time: a rerun of a day older than the row's last change leaves it alone, except
that history stored later may move a first alarm's start to an earlier day (without a notice).
Forecast, no-data and figures-disagree alarms fire once per period (or data gap); a forecast ends without a
notice when its projection falls back below its threshold, figures that disagree when they agree again,
no data when data comes back (``rules.notices.lifecycle``: a newer row). A silent
monitor (the watchdog's alarm) is cleared with a notice, like an actual threshold, and so is a spike
(its "back to normal", unless the organisation turned that notice off). A spike's period is its
series (a ``Series``: ``organisation`` or ``space <id>``), one row per series whose episodes are its notice
sequence, so a replay recognises an episode it told before; a new space's notice (period
``new space <id>``) ends without a notice of its own on a later day that the space is not new, so
a space that falls silent and comes back is told again.

No notice that became due is lost to the order of runs: a row whose notice is still pending when a
later day moves it on (an alarm that ends, a clear followed by a new alarm) gets its next notice, and
the superseded one (``superseded``) goes out with it to each channel that lacks it.

An alarm recorded quietly (``suppressed``: during a history load, or before the lookback) whose
period is still open is the state the user is in now: the first live run that still sees it in
alarm makes it due, once, with the run's figures (a forecast recomputed as of that day). Alarms of
periods that have ended are no longer observed, so they stay suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

ACTUAL, FORECAST, NO_DATA, SILENT, DISAGREE, SPIKE = "actual", "forecast", "no_data", "silent", "disagree", "spike"
# The bill's: the overage past the configured amount, a meter near its hard maximum, the configured plan
# against Storyblok's limit, another plan cheaper for two closed months.
OVERAGE, MAXIMUM, PLAN, CHEAPER = "overage", "maximum", "plan", "cheaper"
PLAN_PERIOD = "plan"  # the pseudo-period of a plan disagreement; its start: the day the reported limit took force
PENDING, SENT, SUPPRESSED, CLEARED = "pending", "sent", "suppressed", "cleared"
# Due while a silence held it (``rules.silences``): sent nowhere, and handled as told (its end is a notice).
SILENCED = "silenced"
ALARM, CLEAR = "alarm", "clear"
DATA_PERIOD = "data"  # the pseudo-period of no-data alarms; its start is the newest stored day
MONITOR_PERIOD = "monitor"  # the pseudo-period of the watchdog's alarm; its start is NEVER
NEVER = date(1970, 1, 1)  # the "newest stored day" of an organisation without any
# The meter of kinds that watch none (no data, a silent monitor, figures disagree); thresholds, forecasts
# and spikes name theirs (requests or bytes, ``rules.meters``).
NO_METER = ""
ORG_SERIES = "organisation"  # the spike series of the organisation's own daily amount
CLEARED_WITH_NOTICE = (ACTUAL, SILENT, SPIKE)
# Kinds whose alarm ends without a notice, once per period (not raised again): a forecast whose projection
# fell back below its threshold (or was overtaken by the crossing itself), figures that agree again.
ENDS_QUIETLY = (FORECAST, DISAGREE)
# Kinds whose quietly recorded alarm is told on the first live run that still sees it (the state now).
TOLD_WHEN_LIVE = (ACTUAL, FORECAST, NO_DATA, DISAGREE, OVERAGE, MAXIMUM, PLAN, CHEAPER, SPIKE)


_SPACE, _NEW_SPACE = "space ", "new space "


@dataclass(frozen=True)
class Series:
    """A spike series: the organisation's own (``space_id`` None) or one space's; ``new``: that space's
    one notice as a new space. Stored as the alert's period (``organisation``, ``space <id>``,
    ``new space <id>``), written by ``period`` and read back by ``of``, the only two places that know it."""

    space_id: str | None = None
    new: bool = False

    @property
    def period(self) -> str:
        if self.space_id is None:
            return ORG_SERIES
        return f"{_NEW_SPACE if self.new else _SPACE}{self.space_id}"

    @property
    def is_org(self) -> bool:
        return self.space_id is None

    @classmethod
    def of(cls, period: str) -> Series:
        if period == ORG_SERIES:
            return cls()
        for prefix, new in ((_NEW_SPACE, True), (_SPACE, False)):
            if period.startswith(prefix) and len(period) > len(prefix):
                return cls(period[len(prefix) :], new)
        raise ValueError(f"not a spike series: {period!r} (expected {ORG_SERIES!r}, 'space <id>' or 'new space <id>')")


ORG = Series()  # the organisation's own daily amount


@dataclass(frozen=True)
class Alert:
    org: str
    period: str
    period_start: date
    kind: str
    threshold_pct: float
    period_end: date | None
    crossed_on: date  # the day the alarm (re)started; for forecasts, the day it was made
    as_of: date  # the run's day when the current notice became due
    usage: int
    usage_limit: int
    projected_on: date | None  # forecasts: the day the threshold is projected to be reached
    status: str
    notice: str  # what the current notice says: alarm or clear
    notice_seq: int  # bumps with every notice, so deliveries of an older one never count for it
    evaluated_on: date  # the run's day of the last change
    notified_at: datetime | None = None
    detail: str | None = None  # what the notice says beyond the figures (figures disagree: what to change)
    meter: str = NO_METER  # what ``usage`` counts: requests or bytes
    space_id: str | None = None  # a space's spike (or new space): its space, a column of its own
    # What its notice tells beyond the row, stored when it became due (``rules.told``); None while quiet.
    figures: Mapping[str, Any] | None = field(default=None, compare=False)
    silence_id: str | None = None  # silenced: the silence that held its current notice

    @property
    def key(self) -> tuple[str, str, date, str, float, str]:
        return (self.org, self.period, self.period_start, self.kind, self.threshold_pct, self.meter)

    @property
    def notice_id(self) -> tuple[tuple[str, str, date, str, float, str], int]:
        """This notice of this row: deliveries are recorded per notice."""
        return (self.key, self.notice_seq)

    @property
    def is_pending(self) -> bool:
        """Its current notice waits to be sent."""
        return self.status == PENDING


@dataclass(frozen=True)
class Observation:
    """What one run saw for one (period, kind, threshold)."""

    org: str
    period: str
    period_start: date
    period_end: date | None
    kind: str
    threshold_pct: float
    in_alarm: bool
    crossed_on: date | None = None
    usage: int = 0
    usage_limit: int = 0
    projected_on: date | None = None
    detail: str | None = None
    announce_clear: bool = True  # False: an alarm already told ends without a notice
    meter: str = NO_METER
    space_id: str | None = None  # a space's spike: its space; None for the organisation's and other kinds

    @property
    def key(self) -> tuple[str, str, date, str, float, str]:
        return (self.org, self.period, self.period_start, self.kind, self.threshold_pct, self.meter)


# One constructor per kind without a threshold: each fixes what its rows share (no period end, a
# threshold of 0) and names what varies. Thresholds and forecasts are built where their periods are.
def no_data(org: str, since: date, day: date, in_alarm: bool, detail: str | None = None) -> Observation:
    """Days missing after ``since`` (the newest stored day, or the day before a hole), seen on ``day``."""
    return Observation(org, DATA_PERIOD, since, None, NO_DATA, 0.0, in_alarm, crossed_on=day, detail=detail)


def monitor_silent(org: str, since: date, hours: int, allowed_hours: int) -> Observation:
    """The organisation's checks, last completed ``hours`` ago on ``since``; an alarm from ``allowed_hours``."""
    return Observation(
        org, MONITOR_PERIOD, NEVER, None, SILENT, 0.0, hours >= allowed_hours, since, hours, allowed_hours
    )


def disagreement(org: str, year_start: date, day: date, reported: int, stored: int, advice: str | None) -> Observation:
    """Storyblok's figure for the year against the stored one, with what to change (None: they agree)."""
    return Observation(
        org, "year", year_start, None, DISAGREE, 0.0, advice is not None, day, reported, stored, detail=advice
    )


def spike(
    org: str,
    series: str,
    start: date,
    first_day: date,
    in_alarm: bool,
    amount: int,
    normal: int,
    *,
    projected_on: date | None = None,
    detail: str | None = None,
    announce_clear: bool = True,
    meter: str,
) -> Observation:
    """A series' spike episode from ``first_day`` in ``meter``; ``start`` is its row's (one row per series,
    ``NEVER`` for a new one: its episodes are the row's notices)."""
    return Observation(
        org,
        series,
        start,
        None,
        SPIKE,
        0.0,
        in_alarm,
        first_day,
        amount,
        normal,
        projected_on,
        detail,
        announce_clear,
        meter,
        Series.of(series).space_id,
    )


def next_state(row: Alert | None, seen: Observation, day: date, quiet: bool) -> Alert | None:
    """The row after a run for ``day`` saw ``seen``; None when nothing changes. ``quiet``: older than the lookback."""
    if row is None:
        return _raised(seen, day, quiet, seq=1) if seen.in_alarm else None
    if _told_now(row, seen, day, quiet):
        return _current(row, seen, day)
    if seen.crossed_on is not None and _earlier_start(row, seen):
        # History stored after the alarm was raised shows it began earlier: correct the record, quietly.
        return replace(row, crossed_on=seen.crossed_on)
    if seen.kind in ENDS_QUIETLY:
        return _ended_quietly(row, seen, day)
    if day < row.evaluated_on or seen.kind not in CLEARED_WITH_NOTICE:
        return None
    if seen.in_alarm:
        # Back in alarm after a clear, told or not: a new notice (an untold clear goes out with it).
        if row.status == CLEARED or (row.status in (PENDING, SILENCED) and row.notice == CLEAR):
            return _raised(seen, day, quiet, seq=row.notice_seq + 1)
        return None
    if row.notice == CLEAR:
        return None
    # An alarm still untold (a failed channel, or a check that ran before the last one's notices went
    # out) is told all the same: its end supersedes it, and the delivery sends both (``superseded``).
    untold = row.status == PENDING
    if untold and not seen.announce_clear:
        return None  # the start goes out first; a later day ends it quietly
    # A silenced alarm counts as told: its end is due (and silenced too while the silence holds).
    if (row.status in (SENT, SILENCED) or untold) and seen.announce_clear:
        return replace(
            row,
            status=CLEARED if quiet else PENDING,
            notice=CLEAR,
            notice_seq=row.notice_seq + 1,
            as_of=day,
            usage=seen.usage,
            usage_limit=seen.usage_limit,
            evaluated_on=day,
            silence_id=None,
        )
    # Recorded quietly (suppressed), or its end is not to be told: it ends quietly.
    return replace(row, status=CLEARED, notice=CLEAR, evaluated_on=day)


def _ended_quietly(row: Alert, seen: Observation, day: date) -> Alert | None:
    """An alarm of a kind that ends without a notice, no longer seen: it ends (resolved on ``day``). One
    still waiting to go out is left to go (its notice was true on its day)."""
    if day < row.evaluated_on or seen.in_alarm or row.notice != ALARM or row.status == PENDING:
        return None
    return replace(row, status=CLEARED, notice=CLEAR, evaluated_on=day)


def superseded(before: Alert | None, after: Alert) -> Alert | None:
    """``before``'s notice when ``after`` replaces it with a newer one before every channel had it.

    It must still go out (the run that checks days in order would have sent it): the delivery sends it
    to each channel that lacks it, in one message with its successor, so no order of runs loses it.
    """
    if before is not None and before.is_pending and after.notice_seq > before.notice_seq:
        return before
    return None


def _told_now(row: Alert, seen: Observation, day: date, quiet: bool) -> bool:
    """A quietly recorded alarm, still in alarm on a live run for a day not older than the row."""
    return (
        not quiet
        and row.status == SUPPRESSED
        and row.notice == ALARM
        and seen.in_alarm
        and seen.kind in TOLD_WHEN_LIVE
        and day >= row.evaluated_on
    )


def _current(row: Alert, seen: Observation, day: date) -> Alert:
    """The quiet alarm as it stands on ``day``, due: a crossing keeps its (earliest) day, a forecast is remade."""
    crossed_on = day if seen.kind == FORECAST else min(row.crossed_on, seen.crossed_on or row.crossed_on)
    return replace(
        row,
        status=PENDING,
        crossed_on=crossed_on,
        as_of=day,
        usage=seen.usage,
        usage_limit=seen.usage_limit,
        projected_on=seen.projected_on,
        evaluated_on=day,
        detail=seen.detail or row.detail,
    )


def _earlier_start(row: Alert, seen: Observation) -> bool:
    """A first alarm (never cleared) that the data now shows started before the recorded day."""
    return (
        seen.kind == ACTUAL
        and seen.in_alarm
        and seen.crossed_on is not None
        and seen.crossed_on < row.crossed_on
        and row.notice == ALARM
        and row.notice_seq == 1
    )


def _raised(seen: Observation, day: date, quiet: bool, seq: int) -> Alert:
    return Alert(
        org=seen.org,
        period=seen.period,
        period_start=seen.period_start,
        kind=seen.kind,
        threshold_pct=seen.threshold_pct,
        period_end=seen.period_end,
        crossed_on=seen.crossed_on or day,
        as_of=day,
        usage=seen.usage,
        usage_limit=seen.usage_limit,
        projected_on=seen.projected_on,
        status=SUPPRESSED if quiet else PENDING,
        notice=ALARM,
        notice_seq=seq,
        evaluated_on=day,
        detail=seen.detail,
        meter=seen.meter,
        space_id=seen.space_id,
    )
