"""An organisation's usage check: the days out of date, evaluated in date order under its lock.

Whatever order runs finish in, the alert state ends as if the days had been checked one by one in
date order (see ``storyblok_traffic.rules.ordering``); no check ever waits for another run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation import spikes
from storyblok_traffic.evaluation.day import Carry, evaluate, evaluate_and_record
from storyblok_traffic.evaluation.result import Evaluation
from storyblok_traffic.rules.notices import Recipients
from storyblok_traffic.rules.ordering import Plan, is_quiet, plan
from storyblok_traffic.rules.periods import each_day
from storyblok_traffic.rules.usage import Limits
from storyblok_traffic.warehouse import alerts, marks, reads, silences
from storyblok_traffic.warehouse.stored_days import StoredDays

log = logging.getLogger(__name__)
# From this many days on, a check reads every space row of its days at once, not day by day.
MANY_DAYS = 14


def check(
    conn: Connection,
    org: OrgConfig,
    first: date,
    last: date,
    today: date,
    routing: Recipients,
    fetched_day: bool | None = None,
    backfill: bool = False,
) -> Evaluation:
    """Check ``org`` for ``first``..``last`` (a daily run: one day) and return the evaluation as of ``last``.

    ``routing``: the channels each notice must reach to count as sent (``MonitorConfig.routing``).
    ``fetched_day``: whether the run's fetch had a row for ``last``. ``backfill``: the days were loaded
    in bulk, recorded and never notified.
    The caller owns the transaction.
    """
    alerts.lock_org(conn, org.org)
    days_asked = _unchecked_before(conn, org.org, first, backfill) + each_day(first, last)
    after_told = _after_told(conn, org)
    requested = {day: is_quiet(day, today, org.alert_lookback_days) or after_told(day) for day in days_asked}
    known = marks.checked(conn, org.org, days_asked)
    todo = plan(requested, known, marks.checked_through(conn, org.org), marks.changed_from(conn, org.org), backfill)
    if todo.first is not None:
        marks.record_checked(conn, org.org, todo.new, history=backfill)
        result = _evaluate_planned(conn, org, todo, todo.first, last, routing, fetched_day, after_told)
    else:
        result = None
    if result is None:  # checked before and still current: report as of it, change nothing
        result = evaluate(conn, org, last, known.get(last, requested[last]), fetched_day)
    now = datetime.now(UTC)
    marks.evaluated(conn, org.org, None if backfill else now)
    silences.apply(conn, org.org, now)  # what a silence holds is not due: the notify branch is not taken for it
    return replace(result, pending_notices=alerts.count_pending(conn, org.org))


def _unchecked_before(conn: Connection, org: str, first: date, backfill: bool) -> list[date]:
    """The days stored before ``first`` and never checked: a check takes them first (in date order, each
    caught up or not as its own day would be), so that ``first`` is judged as date order would judge it
    whichever runs finish first (a spike's episode starts on the first day checked in it), and the days
    checked in the end are the days stored, in any order. A history load takes only its own days."""
    if backfill:
        return []
    return marks.unchecked(conn, org, first)


def _after_told(conn: Connection, org: OrgConfig) -> Callable[[date], bool]:
    """Whether a day is older than one some notice was already told of: never news after it. A day's first
    check is quiet then, or when it is older than the lookback (a catch-up: what is still open is told once,
    by the newest day's check). Asked again when a day is evaluated again (its data changed), so that it is
    not told late; the newest day's check tells what it changed that is still open."""
    told = alerts.told_through(conn, org.org)
    return lambda day: told is not None and day < told


def _evaluate_planned(
    conn: Connection,
    org: OrgConfig,
    todo: Plan,
    first: date,
    last: date,
    routing: Recipients,
    fetched_day: bool | None,
    after_told: Callable[[date], bool],
) -> Evaluation | None:
    """Rewind if the plan says so and evaluate every checked day from ``first`` (the plan's) in date
    order; the evaluation of ``last`` (None: ``last`` was not among them)."""
    if todo.rewind_to is not None:
        restored = alerts.rewind(conn, org.org, todo.rewind_to)
        log.info("Evaluating %s again from %s (%d alert row(s) restored)", org.org, todo.rewind_to, restored)
    days = marks.checked_since(conn, org.org, first)
    limits = reads.limit_history(conn, org.org)
    spaces = StoredDays(conn, org.org, _spaces_from(org, days), _busy_from(org, limits, days), limits)
    carry = Carry(spaces, alerts.AlertRows(conn, org.org))
    stored = carry.stored.days_stored(first, max(days))
    result = None
    for day, quiet in sorted(days.items()):
        # A replayed day without a row is judged by staleness alone: only the run's own fetch
        # knows whether Storyblok left its day out.
        seen = fetched_day if day == last and fetched_day is not None else (True if day in stored else None)
        evaluation = evaluate_and_record(conn, org, day, quiet or after_told(day), seen, carry)
        if todo.rewind_to is not None:
            alerts.settle(conn, org.org, routing, quiet=False)
            carry.reread_alerts(conn, org.org)  # settling changed rows behind the carry
        if day == last:
            result = evaluation
    if todo.rewind_to is not None:
        alerts.settle(conn, org.org, routing)  # and what was sent, now recorded quietly
    return result


def _busy_from(org: OrgConfig, limits: Sequence[Limits], days: Mapping[date, bool]) -> int:
    """The requests a space needs on some day of the check to be read at once (see ``_spaces_from``)."""
    return spikes.busy_from(org, limits, min(days), max(days)) if days else 0


def _spaces_from(org: OrgConfig, days: Mapping[date, bool]) -> date | None:
    """For a check of many days, the first space row its spike checks can read: all are read at once."""
    if not org.spike_factor or len(days) < MANY_DAYS:
        return None
    return min(days) - timedelta(days=org.spike_window_days + org.spike_noise_days)
