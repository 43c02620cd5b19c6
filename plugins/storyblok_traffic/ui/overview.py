"""The first page when more than one organisation is monitored: one row each, both meters' percent of
their limits, the projected bill, the alerts open now and the newest day, the most urgent first.

The page reads five statements whatever the number of organisations (the newest days, the limits in
force, each one's days its billed period and projection need, the contract year summed before them, the
alerts that may be open), none of them a walk over an organisation's history. No check runs: the
figures are summed from the stored days against the limits each meter is watched against
(``watched_meters``), as the check sums them, and the open alerts are counted as the organisation's page
counts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import Connection

from storyblok_traffic import documents as m
from storyblok_traffic.billing import org_plan
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.day import watched_meters
from storyblok_traffic.evaluation.figures import alert_rows
from storyblok_traffic.evaluation.meters import PERIOD_OF_BILLING, bill_figures
from storyblok_traffic.rules.alert_state import Alert
from storyblok_traffic.rules.notices import OPEN, SEVERITIES
from storyblok_traffic.rules.periods import window_of
from storyblok_traffic.rules.plans import Plan
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.rules.usage import Limits, limit_in_force, percent_of
from storyblok_traffic.warehouse import alerts, reads
from storyblok_traffic.warehouse.stored_days import StoredDays, stored_from


def overview(conn: Connection, orgs: Sequence[OrgConfig]) -> m.Overview:
    newest = reads.newest_days(conn, [org.org for org in orgs])
    limits = reads.limits_on_each(conn, newest)
    since = {org.org: first_needed(org, newest[org.org], limits.get(org.org)) for org in orgs if org.org in newest}
    stored = stored_from(conn, since, limits)
    # The contract year before the days read: summed where it lies (a row's periods need its total alone).
    years = {
        o.org: (window_of("year", newest[o.org], o.year_start).start, newest[o.org]) for o in orgs if o.org in since
    }
    year_sums = reads.meter_sums(conn, {org: days for org, days in years.items() if days[0] < since[org]})
    alerts_of = alerts.maybe_open(conn, list(since), min(newest.values())) if newest else {}
    rows = [
        overview_row(org, stored[org.org], year_sums.get(org.org), alerts_of[org.org])
        if org.org in stored
        else _nothing_stored(org)
        for org in orgs
    ]
    return m.Overview(organisations=sorted(rows, key=_urgency))


def first_needed(org: OrgConfig, newest: date, limits: Limits | None) -> date:
    """The oldest day a row reads day by day: the start of the month and of the period its plan bills,
    less the forecast's window before the newest complete day, which is in that period."""
    plan = org_plan(org, limits.monthly if limits else None).plan
    billed = PERIOD_OF_BILLING[plan.billing] if plan else "month"
    periods = [window_of(period, newest, org.year_start).start for period in {billed, "month"}]
    return min(periods) - timedelta(days=org.forecast_window_days)


def overview_row(
    org: OrgConfig, stored: StoredDays, year: Mapping[str, int] | None, maybe_open: Sequence[Alert]
) -> m.OverviewRow:
    """``stored``: the organisation's days from ``first_needed`` on; ``year``: each meter's total of the
    contract year through the newest day, when it starts before them; ``maybe_open``: its alerts that may
    be open."""
    newest = stored.days[-1]
    figures = bill_figures(stored, org, newest, plans=False)
    meters = _meters(stored, org, newest, figures.chosen.plan, year)
    # Only what is open counts here: where each notice goes is the organisation page's (routed nowhere).
    open_now = [row for row in alert_rows(maybe_open, {}, newest, newest, Routing()) if row.group == OPEN]
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


def _nothing_stored(org: OrgConfig) -> m.OverviewRow:
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


def _meters(
    stored: StoredDays, org: OrgConfig, newest: date, plan: Plan | None, year: Mapping[str, int] | None
) -> list[m.MeterPercent]:
    """Each watched meter's periods, as the check sums them (the days up to ``newest``, the limit then)."""
    found = []
    for watched in watched_meters(org, stored.limit_history(), plan):
        limits = limit_in_force(watched.history, newest)
        for period in ("year", "month"):
            if not watched.thresholds(period):
                continue  # the check has no such period either
            w = window_of(period, newest, org.year_start)
            limit = limits.of(period) if limits else 0
            if period == "year" and year is not None:
                usage = year[watched.meter]
            else:
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
