"""Reconciliation with Storyblok's ``traffic_used_this_year``: read the stored year, judge, record once.

The judgement itself is pure (``storyblok_traffic.rules.reconcile``); this module gathers its inputs
on the check of the newest day and turns a disagreement into an alarm and the summary's figures.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.result import ReconciliationView
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.periods import window_of
from storyblok_traffic.rules.reconcile import Candidate, Comparison, reconcile
from storyblok_traffic.warehouse import reads
from storyblok_traffic.warehouse.stored_days import StoredDays


def reconcile_newest(conn: Connection, org: OrgConfig, day: date, stored: StoredDays) -> Comparison | None:
    """On the check of the day before Storyblok's figure was fetched (the figure's last whole day): that
    figure against each reading of the stored year. (Older days: the figure says nothing of them.)

    Only that day, whatever else is stored when it is checked: a check that ran when later days were
    not yet stored would judge otherwise, and checks run in any order (a backfill, a retry, a soak's
    chaos) must end as in date order.
    """
    snapshot = stored.latest_snapshot()
    if snapshot is None or day != snapshot[0] - timedelta(days=1):
        return None
    if stored.newest_day(date.max) != day:  # the day in progress stored by hand: the figure's day is not whole
        return None
    taken, reported = snapshot
    last = taken - timedelta(days=1)  # the figure's day itself is in progress, never stored
    contract = window_of("year", last, org.year_start).start
    readings = []
    for start in dict.fromkeys((contract, date(last.year, 1, 1))):
        days = (last - start).days + 1
        for meter, (total, with_value, peak) in reads.year_sums(conn, org.org, start, last).items():
            readings.append(Candidate(meter, start, total, days - with_value, peak))
    configured = next(c for c in readings if (c.meter, c.year_start) == (org.limit_meter, contract))
    return reconcile(reported, configured, [c for c in readings if c is not configured])


def disagreement(org: OrgConfig, day: date, verdict: Comparison) -> st.Observation:
    """One "figures disagree" alarm per organisation and contract year; its detail says what to change."""
    c = verdict.configured
    return st.disagreement(org.org, c.year_start, day, verdict.reported, c.stored, verdict.advice)


def summary(verdict: Comparison | None) -> ReconciliationView | None:
    """The ``reconciliation`` of ``usage_summary``."""
    if verdict is None:
        return None
    return ReconciliationView(
        reported=verdict.reported,
        stored_requests=verdict.stored_requests,
        stored_bytes=verdict.stored_bytes,
        matches=verdict.matched.meter if verdict.matched else None,
        year_start=verdict.year_start,
        missing_days=verdict.missing_days,
        difference_pct=verdict.difference_pct,
    )


def advice(verdict: Comparison | None) -> str:
    """What to change, for the check's notes ('' when the configured reading matches)."""
    return "" if verdict is None or verdict.advice is None else verdict.advice
