"""What was recorded quietly (pure): alerts of a history load, or of days caught up (older than the
lookback, or than a day already told), never sent. A year loaded at the start records dozens of them; the dashboard and
``storyblok-traffic report`` both fold them into one line per period, in these words, so the alerts
that were told stay readable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    CHEAPER,
    CLEARED,
    DISAGREE,
    FORECAST,
    MAXIMUM,
    NEVER,
    NO_DATA,
    OVERAGE,
    PLAN,
    SILENT,
    SPIKE,
    SUPPRESSED,
    Alert,
)
from storyblok_traffic.rules.meters import METER_NAMES, METERS

HEADING = "Recorded quietly (the history, or days caught up; never sent)"
# A kind without a threshold, in a folded line.
_NAMES = {
    SPIKE: "spike",
    NO_DATA: "no data",
    SILENT: "monitor silent",
    DISAGREE: "figures disagree",
    OVERAGE: "overage",
    PLAN: "plan and limit disagree",
    CHEAPER: "another plan cheaper",
}
_PREFIX = {ACTUAL: "", FORECAST: "forecast ", MAXIMUM: "maximum "}
# Within a period: the thresholds crossed, then the forecasts, then the maxima, then the rest.
_RANK = {kind: i for i, kind in enumerate(_PREFIX)}
# Within a period, by meter: requests, bytes, then the alerts of no meter (the bill's overage, no data).
_METER_RANK: dict[str, int] = {meter: i for i, meter in enumerate(METERS)}


def recorded_quietly(alert: Alert, delivered: bool) -> bool:
    """Recorded and never told: suppressed, or cleared while no channel had its notice (``delivered``) and
    no silence held it (a silenced notice was due: it is shown with its silence)."""
    return alert.status == SUPPRESSED or (alert.status == CLEARED and not delivered and alert.silence_id is None)


def shown_start(alert: Alert) -> date | None:
    """The first day an alert's period is shown from: a spike's (its series') is the episode's first day;
    a period without a day of its own (``NEVER``: the watchdog's, no day stored) has none."""
    if alert.kind == SPIKE:
        return alert.crossed_on
    return None if alert.period_start == NEVER else alert.period_start


@dataclass(frozen=True)
class QuietPeriod:
    """One period's quiet alerts: ``period`` names it (``month 2026-03-01``, ``space 8 2026-11-29``)."""

    period: str
    start: date | None
    alerts: tuple[Alert, ...]

    @property
    def line(self) -> str:
        """``month 2026-03-01: 4 alerts (bandwidth 80%, 100%, forecast 100%; overage)``: each meter's alerts
        after its name, then those of no meter."""
        count = len(self.alerts)
        what = "; ".join(_of_meter(meter, list(alerts)) for meter, alerts in groupby(self.alerts, _meter))
        return f"{self.period}: {count} alert{'' if count == 1 else 's'} ({what})"


def fold(quiet: Iterable[Alert]) -> list[QuietPeriod]:
    """The quiet alerts, one entry per period: the newest period first (by its first day, then its name),
    each period's alerts by meter, kind and threshold."""
    periods: dict[tuple[str, date | None], list[Alert]] = {}
    for a in quiet:
        periods.setdefault((a.period, shown_start(a)), []).append(a)
    return [
        QuietPeriod(_label(period, start), start, tuple(sorted(alerts, key=_within)))
        for (period, start), alerts in sorted(periods.items(), key=_newest_first)
    ]


def _label(period: str, start: date | None) -> str:
    return period if start is None else f"{period} {start}"


def _newest_first(item: tuple[tuple[str, date | None], list[Alert]]) -> tuple[int, str]:
    (period, start), _ = item
    return (-(start or date.min).toordinal(), period)


def _within(a: Alert) -> tuple[int, int, float, date]:
    return (_METER_RANK.get(a.meter, len(METERS)), _RANK.get(a.kind, len(_RANK)), a.threshold_pct, a.crossed_on)


def _meter(a: Alert) -> str:
    return a.meter


def _of_meter(meter: str, alerts: list[Alert]) -> str:
    """One meter's alerts in a folded line, after its name: ``API requests 80%, 100%``."""
    what = ", ".join(_what(a) for a in alerts)
    return f"{METER_NAMES[meter]} {what}" if meter in METER_NAMES else what


def _what(a: Alert) -> str:
    """One alert in a folded line: ``80%``, ``forecast 100%``, ``maximum 90%``, ``spike``, ``no data``."""
    return f"{_PREFIX[a.kind]}{a.threshold_pct:g}%" if a.kind in _PREFIX else _NAMES.get(a.kind, a.kind)
