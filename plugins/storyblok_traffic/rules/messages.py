"""The words people read in notifications, and the fields machines read (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any

from storyblok_traffic.rules import spike_lines
from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    CLEAR,
    DISAGREE,
    FORECAST,
    NEVER,
    NO_DATA,
    ORG_SERIES,
    SILENT,
    SPIKE,
    Alert,
)
from storyblok_traffic.rules.periods import ADJECTIVE
from storyblok_traffic.rules.usage import format_pct, percent_of

# (period, period start) -> [(space id, usage)], largest first
TopSpaces = Mapping[tuple[str, date], Sequence[tuple[str, int]]]
# alert key -> days of its period before the crossing day that are not stored: the day is then a bound
UnknownBefore = Mapping[tuple[Any, ...], int]


@dataclass(frozen=True)
class Message:
    subject: str
    text: str  # the subject, then one line per notice
    data: dict[str, Any] = field(default_factory=dict)  # structured fields for JSON webhooks


def _order(alert: Alert) -> tuple[int, int, float]:
    kinds = {
        (SILENT, "alarm"): 0,
        (ACTUAL, "alarm"): 1,
        (SPIKE, "alarm"): 2,
        (FORECAST, "alarm"): 3,
        (NO_DATA, "alarm"): 4,
    }
    rank = kinds.get((alert.kind, alert.notice), 5)
    if alert.kind == SPIKE:  # the organisation's spike first, then the spaces, the largest excess first
        return (rank, 0 if alert.period == ORG_SERIES else 1, -float(alert.usage - alert.usage_limit))
    return (rank, 0 if alert.period == "year" else 1, -alert.threshold_pct)


def alert_message(
    org: str,
    metric: str,
    alerts: Sequence[Alert],
    top: TopSpaces,
    unknown: UnknownBefore | None = None,
    live_since: date | None = None,
) -> Message:
    """One message for a batch of notices: each group (period, kind, notice) names its highest threshold.

    ``unknown``: a crossing with days missing before it is told as "by" that day, never "on" it.
    ``live_since``: the first day checked live; a crossing before it is told as the state now.
    """
    unknown = unknown or {}
    ordered = sorted(alerts, key=_order)
    groups = [list(g) for _, g in groupby(ordered, key=lambda a: (a.period, a.period_start, a.kind, a.notice))]
    lines = [_line(g[0], g[1:], metric, unknown, live_since) for g in groups]
    earlier = [a for a in ordered if _before_monitoring(a, live_since)]
    if earlier:
        lines.insert(
            0,
            f"Where {org} stands as of {max(a.as_of for a in ordered)}: reached before monitoring started on "
            f"{live_since} (recorded quietly then, told once now).",
        )
    shown: set[tuple[str, date]] = set()
    starts = {(g[0].period, g[0].period_start) for g in groups if g[0].kind in (ACTUAL, FORECAST)}
    for group in groups:
        head = group[0]
        where = (head.period, head.period_start)
        if head.kind in (ACTUAL, FORECAST) and where not in shown and top.get(where):
            shown.add(where)
            # Two months in one message (a late notice beside this month's): say which.
            several = sum(1 for period, _ in starts if period == head.period) > 1
            which = f"in the {head.period} from {head.period_start}" if several else f"this {head.period}"
            lines.append(f"Top spaces {which}: " + _spaces(top[where], head.usage) + ".")
    subject = _subject(org, groups[0][0])
    return Message(
        subject=subject,
        text="\n".join([subject, *lines]),
        data={
            "org": org,
            "metric": metric,
            "subject": subject,
            "alerts": [
                _fields(a, top.get((a.period, a.period_start), ()), unknown.get(a.key, 0), live_since) for a in ordered
            ],
        },
    )


def failure_message(text: str) -> Message:
    return Message(subject="Storyblok traffic pipeline failed", text=text, data={"event": "pipeline_failed"})


def _subject(org: str, head: Alert) -> str:
    adjective = ADJECTIVE.get(head.period, head.period)
    if head.kind == SILENT:
        return f"Storyblok traffic: monitor {'back' if head.notice == CLEAR else 'silent'} for {org}"
    if head.kind == DISAGREE:
        return f"Storyblok traffic: figures disagree for {org}"
    if head.kind == SPIKE:
        return spike_lines.subject(org, head)
    if head.kind == NO_DATA:
        since = "" if head.period_start == NEVER else f" after {head.period_start}"
        return f"Storyblok traffic: no data for {org}{since}"
    if head.notice == CLEAR:
        return f"Storyblok traffic: {org} is back within its {adjective} limit"
    if head.kind == FORECAST:
        return (
            f"Storyblok traffic: {org} is forecast to reach {format_pct(head.threshold_pct)} of its "
            f"{adjective} limit on {head.projected_on}"
        )
    return f"Storyblok traffic: {org} has used {_pct(head)} of its {adjective} limit"


def _before_monitoring(alert: Alert, live_since: date | None) -> bool:
    """A crossing (or a data gap) that began before the first live check: told late, as the state now."""
    return (
        live_since is not None
        and alert.notice != CLEAR
        and alert.kind in (ACTUAL, NO_DATA)
        and alert.crossed_on < live_since
    )


def _line(
    head: Alert, others: Sequence[Alert], metric: str, unknown: UnknownBefore, live_since: date | None = None
) -> str:
    adjective = ADJECTIVE.get(head.period, head.period)
    used = f"{head.usage:,} of {head.usage_limit:,} {metric} ({_pct(head)})"
    if head.kind == SILENT:
        return _silence_line(head)
    if head.kind == DISAGREE:
        return f"{head.detail} (Storyblok's figure as of {head.as_of}.)"
    if head.kind == SPIKE:
        return spike_lines.line(head, metric)
    if head.kind == NO_DATA and head.detail:
        return head.detail
    if head.kind == NO_DATA:
        newest = (
            "No traffic is stored" if head.period_start == NEVER else f"The newest stored day is {head.period_start}"
        )
        return f"{newest}, checked for {head.as_of}: check the fetch task and the Storyblok connection."
    if head.notice == CLEAR:
        return (
            f"Back within the {adjective} limit: {used} as of {head.as_of}, below the "
            f"{format_pct(head.threshold_pct)} threshold notified before (the limit in force changed)."
        )
    period = f"the {head.period} {head.period_start} to {head.period_end}"
    if head.kind == FORECAST:
        return (
            f"Forecast: at the recent rate, {adjective} usage reaches {format_pct(head.threshold_pct)} of "
            f"the limit on {head.projected_on}, before {period} ends; {used} as of {head.as_of}."
        )
    asides = []
    if _before_monitoring(head, live_since):
        asides.append(f"before monitoring started on {live_since}")
    if missing := unknown.get(head.key, 0):
        asides.append(f"{missing} earlier day(s) not stored yet")
    if others:
        asides.append(f"also crossed: {', '.join(_also(a, head, unknown) for a in sorted(others, key=_pct_of))}")
    aside = f" ({'; '.join(asides)})" if asides else ""
    return (
        f"{adjective.capitalize()} limit: {used} as of {head.as_of} in {period}. "
        f"Crossed the {format_pct(head.threshold_pct)} threshold {_on(head, unknown)}{aside}."
    )


def _on(alert: Alert, unknown: UnknownBefore) -> str:
    """On the crossing day, or by it when earlier days of the period are missing (it may have been earlier)."""
    return f"{'by' if unknown.get(alert.key) else 'on'} {alert.crossed_on}"


def _silence_line(head: Alert) -> str:
    """The watchdog's notices: ``usage`` holds the hours without a completed check, ``usage_limit`` the allowance."""
    if head.notice == CLEAR:
        return f"Usage checks completed again on {head.as_of}; they had stopped after {head.crossed_on}."
    return (
        f"No usage check has completed for {head.usage} hours (allowed: {head.usage_limit}), the last one "
        f"on {head.crossed_on}: until checks run again there are no usage alerts and no no-data notices. "
        "Look at the organisation's DAG in Airflow: paused, failing, or no scheduler running?"
    )


def _pct_of(alert: Alert) -> float:
    return alert.threshold_pct


def _also(alert: Alert, head: Alert, unknown: UnknownBefore) -> str:
    """Another threshold in the same message; its day when it differs (a notice held back by a retry)."""
    on = "" if alert.crossed_on == head.crossed_on else f" {_on(alert, unknown)}"
    return f"{format_pct(alert.threshold_pct)}{on}"


def _pct(alert: Alert) -> str:
    pct = percent_of(alert.usage, alert.usage_limit)
    return "an unknown share" if pct is None else f"{pct:.1f}%"


def _spaces(spaces: Sequence[tuple[str, int]], total: int) -> str:
    return ", ".join(f"{space} ({used * 100 / total:.1f}%)" if total else space for space, used in spaces)


def _fields(
    alert: Alert, spaces: Sequence[tuple[str, int]], unknown_before: int, live_since: date | None
) -> dict[str, Any]:
    def iso(value: date | None) -> str | None:
        return None if value is None or value == NEVER else value.isoformat()

    return {
        "period": alert.period,
        "kind": alert.kind,
        "event": alert.notice,
        "threshold": alert.threshold_pct,
        "usage": alert.usage,
        "limit": alert.usage_limit,
        "percent": percent_of(alert.usage, alert.usage_limit),
        "day": alert.as_of.isoformat(),
        "crossed_on": alert.crossed_on.isoformat(),
        "period_start": iso(alert.period_start),
        "period_end": iso(alert.period_end),
        "forecast_date": iso(alert.projected_on),
        "detail": None if alert.kind == SPIKE else alert.detail,  # a spike's figures are in "spike"
        "days_missing_before": unknown_before,  # > 0: crossed_on is the day it was known by, not when
        "before_monitoring": _before_monitoring(alert, live_since),  # reached before the first live check
        "spike": spike_lines.fields(alert) if alert.kind == SPIKE else None,
        "top_spaces": [
            {"space_id": s, "usage": u, "share": round(u * 100 / alert.usage, 1) if alert.usage else None}
            for s, u in (spaces if alert.kind in (ACTUAL, FORECAST) else ())
        ],
    }
