"""A check's gauges (``rules.metrics``) from its evaluation and the notices open as of its day."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import Connection

from storyblok_traffic.evaluation.result import Evaluation
from storyblok_traffic.rules.metrics import Gauge, PeriodFigures, usage_gauges
from storyblok_traffic.rules.notices import OPEN, SEVERITIES, lifecycle, severity
from storyblok_traffic.warehouse import alerts


def gauges_of(conn: Connection, evaluation: Evaluation, today: date) -> list[Gauge]:
    """``evaluation``'s figures, the days its newest stored day is behind yesterday (as of ``today``),
    and its organisation's open notices by severity (each severity, 0 included: a count that falls to 0
    must say so)."""
    org, newest = evaluation.org, evaluation.newest_day
    periods = [
        PeriodFigures(p.meter, p.period, p.percent, p.forecast.projected_percent if p.forecast else None)
        for p in evaluation.periods
    ]
    bill = evaluation.bill
    projected = None if bill is None or bill.projected is None else (bill.projected, bill.currency)
    behind = None if newest is None else max(0, (today - timedelta(days=1) - newest).days)
    counts = Counter(
        severity(a)
        for a in alerts.maybe_open(conn, [org], evaluation.day).get(org, [])
        if lifecycle(a, evaluation.day, newest, False) == OPEN
    )
    return usage_gauges(org, periods, projected, behind, {s: counts.get(s, 0) for s in SEVERITIES})
