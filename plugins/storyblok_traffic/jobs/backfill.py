"""The bulk load behind the ``storyblok_traffic_backfill`` DAG: big requests, bulk writes, quiet evaluation.

A range is fetched a calendar month per request (12 or 13 requests for a year) in one task, each
month written in its own transaction while the next is fetched, then every day is evaluated in date
order with alerts recorded as suppressed, exactly as the daily DAG would record them for days older
than the lookback.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.xcom import Range

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storyblok_traffic.fetching import Quarantine
    from storyblok_traffic.hooks.client import StoryblokClient

log = logging.getLogger(__name__)

MAX_DAYS = 3 * 366  # a range longer than this is almost surely a typo
SOURCES = ("api", "stored")


def checked_range(start: str | None, end: str | None, today: date | None = None) -> Range:
    """The requested days; bad input fails the task at once (no retries) naming what is wrong.

    A blank ``end`` means yesterday and a blank ``start`` the first of January of ``end``'s year:
    resolved here, when the run starts, because a default computed when the DAG file is parsed
    would change the serialized DAG (and make a new DAG version) every day.
    """
    from airflow.sdk.exceptions import AirflowFailException

    try:
        return _range(start, end, today or datetime.now(UTC).date())
    except ValueError as err:
        raise AirflowFailException(str(err)) from None


def _range(start: str | None, end: str | None, today: date) -> Range:
    try:
        last = date.fromisoformat(str(end)) if end else today - timedelta(days=1)
        first = date.fromisoformat(str(start)) if start else date(last.year, 1, 1)
    except ValueError as err:
        raise ValueError(f"start_date and end_date must be YYYY-MM-DD: {err}") from None
    if last < first:
        raise ValueError(f"end_date {last} is before start_date {first}")
    if last >= today:
        raise ValueError(f"end_date {last} must be before today ({today} UTC): today's traffic is not complete")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"{start}..{end} spans more than {MAX_DAYS} days; split it into several runs")
    return Range(first, last)


def month_chunks(days: Range) -> list[Range]:
    """The range cut at calendar month boundaries: one request each."""
    from storyblok_traffic.rules.periods import calendar_months

    return [Range(first, last) for first, last in calendar_months(days.first, days.last)]


def checked_source(source: str | None) -> str:
    """Where the days come from: ``api`` (Storyblok) or ``stored`` (the answers in raw_responses)."""
    from airflow.sdk.exceptions import AirflowFailException

    if (source or "api") not in SOURCES:
        raise AirflowFailException(f"source {source!r} must be one of {', '.join(SOURCES)}")
    return source or "api"


def load_range(days: Range, org: OrgConfig, config: MonitorConfig, source: str = "api") -> dict[str, Any]:
    """The load task: every month of ``days``, one request and one transaction each; returns small counts.

    The schema is checked once for the whole range. A retry loads every month again: the months
    written before the failure find their rows unchanged and write nothing.
    """
    from storyblok_traffic.warehouse.engine import engine_from_conn_id
    from storyblok_traffic.warehouse.migrations import ensure_current

    warehouse = config.warehouse
    engine = engine_from_conn_id(warehouse.conn_id)
    try:
        ensure_current(engine, warehouse.schema, warehouse.auto_migrate, dict(warehouse.limit_meters))
        if checked_source(source) == "stored":
            months = [replay_month(engine, warehouse.schema, org.org, chunk) for chunk in month_chunks(days)]
        else:
            from storyblok_traffic.hooks.storyblok import StoryblokHook
            from storyblok_traffic.warehouse.engine import begin
            from storyblok_traffic.warehouse.rejects import quarantine

            client = StoryblokHook(org.conn_id).client
            months = load_months(
                client,
                engine,
                warehouse.schema,
                org.org,
                days,
                quarantine(lambda: begin(engine, warehouse.schema), warehouse.schema),
            )
    finally:
        engine.dispose()
    return {**days.to_xcom(), "months": months}


def load_months(
    client: StoryblokClient,
    engine: Engine,
    schema: str,
    org: str,
    days: Range,
    quarantine: Quarantine | None = None,
) -> list[dict[str, Any]]:
    """Fetch and write each month of ``days`` in order; needs no Airflow (the benchmark calls it as is).

    The next month's request and parse run in a second thread while this month is written: the
    write hides in the wait the rate limit imposes between requests anyway.
    """
    from storyblok_traffic.fetching import fetch_days
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.writes import write_fetch

    chunks = month_chunks(days)
    done = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch-next") as ahead:
        coming = ahead.submit(fetch_days, client, org, chunks[0].first, chunks[0].last, quarantine)
        for i, chunk in enumerate(chunks):
            fetched, daily = coming.result()
            if i + 1 < len(chunks):
                following = chunks[i + 1]
                coming = ahead.submit(fetch_days, client, org, following.first, following.last, quarantine)
            with begin(engine, schema) as conn:
                counts = write_fetch(conn, fetched, daily)
            log.info("Loaded %s..%s for %s: %s", chunk.first, chunk.last, org, counts.as_dict())
            done.append({**chunk.to_xcom(), "org_days": len(daily.org_days), "written": counts.as_dict()})
    return done


def replay_month(engine: Engine, schema: str, org: str, chunk: Range) -> dict[str, Any]:
    """Rewrite one month from the answers kept in raw_responses, in one transaction, with no API call."""
    from storyblok_traffic.jobs.replay import replay
    from storyblok_traffic.warehouse.engine import begin

    with begin(engine, schema) as conn:
        replayed = replay(conn, org, chunk.first, chunk.last)
    log.info("Replayed %s..%s for %s from stored answers: %s", chunk.first, chunk.last, org, replayed)
    return {**chunk.to_xcom(), "org_days": replayed.org_days, "written": replayed.as_dict()}


def load_asset_range(days: Range, org: OrgConfig, config: MonitorConfig, source: str = "api") -> dict[str, Any]:
    """The files' bytes of every day of ``days`` (``assets_traffic``), one request per day at the shared
    rate limit, a transaction per day, the progress logged; the load of a year takes 365 requests' time.

    Nothing to do without ``asset_traffic``, or with source ``stored``: ``load_months`` replayed the kept
    answers of both endpoints. A retry asks again for every day; the days written before find their rows
    unchanged and write nothing.
    """
    if not org.asset_traffic:
        return {**days.to_xcom(), "skipped": f"asset_traffic is off for {org.org}"}
    if checked_source(source) == "stored":
        return {**days.to_xcom(), "skipped": "replayed with the months, from the answers kept"}
    from storyblok_traffic.hooks.storyblok import StoryblokHook
    from storyblok_traffic.jobs.asset_days import load_into
    from storyblok_traffic.rules.periods import each_day

    every = each_day(days.first, days.last)
    loaded = load_into(config.warehouse, StoryblokHook(org.conn_id).client, org.org, lambda _conn: every)
    return {**days.to_xcom(), "days": len(loaded.days), "written": loaded.written}


def _tell_working_again(org: OrgConfig, config: MonitorConfig) -> None:
    """The incident's "working again", told now: a history load may be the only run after the fix (the
    daily days done before), and a notice left to the next daily run would wait a day. The history's
    usage notices stay quiet. A channel that refuses is told by the next daily run or the watchdog."""
    from storyblok_traffic.notifications.incidents import deliver_incidents
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    with warehouse_transaction(config.warehouse) as conn:
        refused = deliver_incidents(conn, org.org, config.channels_for(org))
    for channel, error in refused.items():
        log.warning("Channel %s did not take the working-again notice of %s: %s", channel, org.org, error)


def evaluate_range(days: Range, org: OrgConfig, config: MonitorConfig) -> dict[str, Any]:
    """Evaluate every day in order, alerts recorded as suppressed; returns a small summary.

    The days count as checked, quietly, so that any later check that evaluates them again keeps
    them quiet. One transaction: the organisation's daily checks wait meanwhile.
    """
    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.rules.incidents import summary
    from storyblok_traffic.warehouse import incidents
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.reads import days_stored

    with warehouse_transaction(config.warehouse) as conn:
        stored = days_stored(conn, org.org, days.first, days.last)
        last = check(conn, org, days.first, days.last, datetime.now(UTC).date(), config.routing(org), backfill=True)
        # The checks completed: the pipeline works again.
        resolved = incidents.resolve(conn, org.org, days.last, datetime.now(UTC).replace(microsecond=0))
    for incident in resolved:
        log.info("Working again: %s", summary(incident))
    if resolved:
        _tell_working_again(org, config)
    log.info("Evaluated %s..%s for %s:\n%s", days.first, days.last, org.org, last.describe())
    return {**days.to_xcom(), "days": (days.last - days.first).days + 1, "days_stored": len(stored)}
