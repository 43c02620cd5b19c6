"""What a notice is worth and where it stands (pure): its severity, the one order every reader sorts
notices in (messages, the dashboard's alerts table, the overview, the API), and its lifecycle.

Severity, by kind:
- critical: a limit reached (a threshold of 100 % or more), a hard maximum, the monitor silent, the
  pipeline failing (``rules.incidents``): usage stops, or the bill moves, or nothing watches any more;
- warning: a threshold below 100 %, overage past the configured amount, the plan disagreeing with
  Storyblok's limit, no data (the checks go on, but on stale figures);
- info: a forecast, a spike, a new space, figures that disagree, a cheaper plan.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date
from typing import Any, Literal

from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    ALARM,
    CHEAPER,
    CLEAR,
    DISAGREE,
    FORECAST,
    MAXIMUM,
    NEVER,
    NO_DATA,
    OVERAGE,
    PENDING,
    PLAN,
    SENT,
    SILENCED,
    SILENT,
    SPIKE,
    Alert,
)
from storyblok_traffic.rules.quiet_history import recorded_quietly

Severity = Literal["critical", "warning", "info"]
CRITICAL: Severity = "critical"
WARNING: Severity = "warning"
INFO: Severity = "info"
SEVERITIES: tuple[Severity, ...] = (CRITICAL, WARNING, INFO)  # the most urgent first

# Each kind's severity; a threshold's depends on how far it is (``severity``).
SEVERITY: dict[str, Severity] = {
    MAXIMUM: CRITICAL,
    SILENT: CRITICAL,
    ACTUAL: WARNING,  # critical from 100 %
    OVERAGE: WARNING,
    PLAN: WARNING,
    NO_DATA: WARNING,
    FORECAST: INFO,
    SPIKE: INFO,  # a new space is a spike series of its own: info too
    DISAGREE: INFO,
    CHEAPER: INFO,
}
# Within a severity, the kinds in the order a reader acts on them: what stops the API first.
KIND_ORDER: tuple[str, ...] = (SILENT, MAXIMUM, ACTUAL, OVERAGE, PLAN, NO_DATA, SPIKE, FORECAST, DISAGREE, CHEAPER)

Lifecycle = Literal["open", "resolved", "quiet"]
OPEN: Lifecycle = "open"
RESOLVED: Lifecycle = "resolved"
QUIET: Lifecycle = "quiet"

# (notice, channel) for each channel that has the notice (``warehouse.alerts.delivered``).
Received = Collection[tuple[tuple[tuple[Any, ...], int], str]]
# The channels a notice is routed to (``rules.routes.Routing``).
Recipients = Callable[[Alert], Sequence[str]]


def notice_key(alert: Alert) -> str:
    """The alert's stable id, one per row whatever its notices (``Alert.key`` without the organisation):
    ``year/2026-01-01/requests/actual/75``; ``-`` for no meter, and for a spike series' first day (one row
    per series: its episodes come and go)."""
    start = "-" if alert.period_start == NEVER else alert.period_start.isoformat()
    return f"{alert.period}/{start}/{alert.meter or '-'}/{alert.kind}/{alert.threshold_pct:g}"


def severity(alert: Alert) -> Severity:
    """The notice's severity (a kind from a newer version: info)."""
    if alert.kind == ACTUAL and alert.threshold_pct >= 100:
        return CRITICAL
    return SEVERITY.get(alert.kind, INFO)


def rank(alert: Alert) -> tuple[int, int, int, int, float]:
    """The one order of notices, the most urgent first: alarms before clears (good news last), then by
    severity, kind, the year before the month, the highest threshold first."""
    kind = KIND_ORDER.index(alert.kind) if alert.kind in KIND_ORDER else len(KIND_ORDER)
    return (
        0 if alert.notice == ALARM else 1,
        SEVERITIES.index(severity(alert)),
        kind,
        0 if alert.period == "year" else 1,
        -alert.threshold_pct,
    )


def lifecycle(alert: Alert, as_of: date, newest: date | None, delivered: bool) -> Lifecycle:
    """Where the notice stands on ``as_of``: open (due, or in alarm and told or silenced), resolved (told
    or silenced, and over: cleared, or its period ended, or data came back), or quiet (recorded, never told).

    ``newest``: the newest stored day; ``delivered``: some channel has the row's notice.
    """
    told = alert.status in (SENT, SILENCED)
    if alert.status == PENDING or (alert.notice == ALARM and told and still_open(alert, as_of, newest)):
        return OPEN
    if recorded_quietly(alert, delivered):
        return QUIET
    return RESOLVED


def lacking(notices: Iterable[Alert], channel: str, received: Received, recipients: Recipients) -> list[Alert]:
    """The notices ``channel`` must still receive: routed to it (``recipients``: ``rules.routes.Routing``),
    and not received. The one rule of who gets a notice, for delivery and for a check settling what was
    sent before (``received_everywhere``)."""
    return [a for a in notices if channel in recipients(a) and not _has(a, channel, received)]


def received_everywhere(notices: Iterable[Alert], recipients: Recipients, received: Received) -> list[Alert]:
    """The notices no channel they are routed to lacks: they are told (routed nowhere, every notice is)."""
    return [a for a in notices if all(_has(a, c, received) for c in recipients(a))]


def _has(notice: Alert, channel: str, received: Received) -> bool:
    """``channel`` has the notice's current notice (an older one of its row does not count)."""
    return (notice.notice_id, channel) in received


def still_open(alert: Alert, as_of: date, newest: date | None) -> bool:
    """An alarm that still holds on ``as_of``: its period has not ended (no data: no newer data; a spike
    or a silent monitor: until its clear)."""
    if alert.notice == CLEAR:
        return False
    if alert.kind == NO_DATA:
        return newest is None or alert.period_start >= newest
    if alert.period_end is None:
        return True
    return alert.period_end >= as_of
