"""The first page when more than one organisation is monitored: one row each, both meters' percent of
their limits, the projected bill, the alerts open now and the newest day, the most urgent first.

A row costs a few reads (the stored days, the limits, the alert rows) and no check: the figures are
summed from the stored days against the limits each meter is watched against (``watched_meters``),
as the check sums them, and the open alerts are counted as the organisation's page counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.day import watched_meters
from storyblok_traffic.evaluation.meters import bill_figures
from storyblok_traffic.rules.notices import OPEN, SEVERITIES
from storyblok_traffic.rules.periods import window_of
from storyblok_traffic.rules.plans import Plan
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.rules.usage import limit_in_force, percent_of
from storyblok_traffic.ui import models as m
from storyblok_traffic.ui.figures import alert_rows
from storyblok_traffic.warehouse import alerts
from storyblok_traffic.warehouse.stored_days import StoredDays


def overview(conn: Connection, orgs: Sequence[OrgConfig]) -> m.Overview:
    rows = [overview_row(conn, org) for org in orgs]
    return m.Overview(organisations=sorted(rows, key=_urgency))


def overview_row(conn: Connection, org: OrgConfig) -> m.OverviewRow:
    stored = StoredDays(conn, org.org)
    newest = stored.newest_day(date.max)
    if newest is None:
        return m.OverviewRow(
            org=org.org,
            newest_day=None,
            meters=[],
            plan=None,
            currency=None,
            projected_bill=None,
            open_alerts=0,
            severity=None,
            highest_percent=None,
        )
    figures = bill_figures(stored, org, newest, plans=False)
    meters = _meters(stored, org, newest, figures.chosen.plan)
    history = alerts.history(conn, org.org)
    # Only what is open counts here: where each notice goes is the organisation page's (routed nowhere).
    open_now = [row for row in alert_rows(history, {}, newest, newest, Routing()) if row.group == OPEN]
    known = [x.percent for x in meters if x.percent is not None]
    return m.OverviewRow(
        org=org.org,
        newest_day=newest.isoformat(),
        meters=meters,
        plan=None if figures.chosen.plan is None else figures.chosen.plan.name,
        currency=None if figures.now is None else figures.now.currency,
        projected_bill=None if figures.at_end is None else str(figures.at_end.total),
        open_alerts=len(open_now),
        severity=open_now[0].severity if open_now else None,  # the rows come most severe first
        highest_percent=max(known) if known else None,
    )


def _meters(stored: StoredDays, org: OrgConfig, newest: date, plan: Plan | None) -> list[m.MeterPercent]:
    """Each watched meter's periods, as the check sums them (the days up to ``newest``, the limit then)."""
    found = []
    for watched in watched_meters(org, stored.limit_history(), plan):
        limits = limit_in_force(watched.history, newest)
        for period in ("year", "month"):
            if not watched.thresholds(period):
                continue  # the check has no such period either
            w = window_of(period, newest, org.year_start)
            limit = limits.of(period) if limits else 0
            usage, _ = stored.meter_total(watched.meter, w.start, newest)
            found.append(
                m.MeterPercent(
                    meter=watched.meter, period=period, usage=usage, limit=limit, percent=percent_of(usage, limit)
                )
            )
    return found


def _urgency(row: m.OverviewRow) -> tuple[int, bool, int, float, str]:
    """The most severe open alert first (the notices' one order), then past a limit, then the most alerts
    open, then the highest percent; ties by name."""
    highest = row.highest_percent or 0.0
    worst = SEVERITIES.index(row.severity) if row.severity else len(SEVERITIES)
    return (worst, highest < 100, -row.open_alerts, -highest, row.org)
