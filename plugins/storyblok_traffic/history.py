"""Bulk history behind the ``storyblok_traffic_backfill`` DAG: big requests, bulk writes, quiet evaluation.

A range is fetched a calendar month per request (12 or 13 requests for a year), each month written
in its own transaction, then every day is evaluated in date order with alerts recorded as
suppressed, exactly as the daily DAG would record them for days older than the lookback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storyblok_traffic.config import MonitorConfig, OrgConfig

log = logging.getLogger(__name__)

MAX_DAYS = 3 * 366  # a range longer than this is almost surely a typo
SOURCES = ("api", "stored")


@dataclass(frozen=True)
class Range:
    first: date
    last: date

    def to_xcom(self) -> dict[str, str]:
        return {"first": self.first.isoformat(), "last": self.last.isoformat()}

    @classmethod
    def from_xcom(cls, value: dict[str, str]) -> Range:
        return cls(date.fromisoformat(value["first"]), date.fromisoformat(value["last"]))


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
    chunks, first = [], days.first
    while first <= days.last:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = min(days.last, following - timedelta(days=1))
        chunks.append(Range(first, last))
        first = last + timedelta(days=1)
    return chunks


def checked_source(source: str | None) -> str:
    """Where the days come from: ``api`` (Storyblok) or ``stored`` (the answers in raw_responses)."""
    from airflow.sdk.exceptions import AirflowFailException

    if (source or "api") not in SOURCES:
        raise AirflowFailException(f"source {source!r} must be one of {', '.join(SOURCES)}")
    return source or "api"


def load_chunk(chunk: Range, org: OrgConfig, config: MonitorConfig, source: str = "api") -> dict[str, Any]:
    """Fetch one chunk (or replay its stored answers) and write it in one transaction; returns small counts."""
    from storyblok_traffic.hooks.storyblok import StoryblokHook
    from storyblok_traffic.operators.fetch import fetch_days
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.writes import write_fetch

    if checked_source(source) == "stored":
        from storyblok_traffic.replay import replay

        with warehouse_transaction(config.warehouse) as conn:
            replayed = replay(conn, org.org, chunk.first, chunk.last)
        log.info("Replayed %s..%s for %s from stored answers: %s", chunk.first, chunk.last, org.org, replayed)
        return {**chunk.to_xcom(), "org_days": replayed.org_days, "written": replayed.as_dict()}
    fetched, daily = fetch_days(StoryblokHook(org.conn_id), org.org, chunk.first, chunk.last, config.warehouse)
    with warehouse_transaction(config.warehouse) as conn:
        counts = write_fetch(conn, fetched, daily)
    log.info("Loaded %s..%s for %s: %s", chunk.first, chunk.last, org.org, counts.as_dict())
    return {**chunk.to_xcom(), "org_days": len(daily.org_days), "written": counts.as_dict()}


def evaluate_range(days: Range, org: OrgConfig, config: MonitorConfig) -> dict[str, Any]:
    """Evaluate every day in order, alerts recorded as suppressed; returns a small summary.

    The days count as checked, quietly, so that any later check that evaluates them again keeps
    them quiet. One transaction: the organisation's daily checks wait meanwhile.
    """
    from storyblok_traffic.check import check
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.reads import days_stored

    channels = [c.name for c in config.channels_for(org)]
    with warehouse_transaction(config.warehouse) as conn:
        stored = days_stored(conn, org.org, days.first, days.last)
        last = check(conn, org, days.first, days.last, datetime.now(UTC).date(), channels, history=True)
    log.info("Evaluated %s..%s for %s:\n%s", days.first, days.last, org.org, last.describe())
    return {**days.to_xcom(), "days": (days.last - days.first).days + 1, "days_stored": len(stored)}
