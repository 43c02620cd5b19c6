"""The bytes each Storyblok file served per day (``assets_traffic``): which days a daily run loads, and
loading days, one request (or its pages) and one transaction per day, for the daily DAG and the bulk
history alike.

The endpoint sums a range per file, so it is asked one day at a time; the next day's request runs in
a second thread while a day is written: the write hides in the wait the shared rate limit imposes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from storyblok_traffic.config import OrgConfig, Warehouse
    from storyblok_traffic.fetching import Quarantine
    from storyblok_traffic.hooks.client import StoryblokClient

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 30.0  # a long load logs how far it is at most this often


def days_for_run(conn: Connection, org: OrgConfig, last: date) -> list[date]:
    """A daily run's days: its own, the ``refetch_days`` before it (bytes Storyblok finalises late), and
    every day since the newest day loaded before those, at most ``max_gap_days`` back (days missed while
    Airflow was down). Nothing loaded yet: history is the bulk DAG's job."""
    from storyblok_traffic.rules.periods import each_day
    from storyblok_traffic.warehouse.reads import newest_asset_day

    first = last - timedelta(days=org.refetch_days)
    newest = newest_asset_day(conn, org.org, before=first) if org.max_gap_days else None
    if newest is not None:
        first = min(first, max(newest + timedelta(days=1), last - timedelta(days=org.max_gap_days)))
    return each_day(first, last)


@dataclass
class Loaded:
    """What a load wrote: rows per table, summed over its days, and the files each day listed."""

    days: list[dict[str, Any]] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)

    def add(self, day: date, listed: int, counts: dict[str, int]) -> None:
        self.days.append({"day": day.isoformat(), "files": listed})
        for table, rows in counts.items():
            self.written[table] = self.written.get(table, 0) + rows

    def to_xcom(self) -> dict[str, Any]:
        """Small: a year's load is 365 entries of a date and a count."""
        return {"days": self.days, "written": self.written}


def load_into(
    warehouse: Warehouse, client: StoryblokClient, org: str, pick: Callable[[Connection], Sequence[date]]
) -> Loaded:
    """``load_days`` into the warehouse, the days those ``pick`` chooses: one engine, the schema checked once,
    each day in a transaction bounded as the warehouse's settings say, an invalid answer kept aside."""
    from storyblok_traffic.warehouse.engine import begin, engine_from_conn_id
    from storyblok_traffic.warehouse.migrations import ensure_current
    from storyblok_traffic.warehouse.rejects import quarantine

    engine = engine_from_conn_id(warehouse.conn_id)
    try:
        ensure_current(engine, warehouse.schema, warehouse.auto_migrate, dict(warehouse.limit_meters))
        waits = (warehouse.lock_timeout_seconds, warehouse.statement_timeout_seconds)
        transaction = partial(begin, engine, warehouse.schema, *waits)
        with transaction() as conn:
            days = pick(conn)
        return load_days(client, transaction, org, days, quarantine(transaction, warehouse.schema))
    finally:
        engine.dispose()


def load_days(
    client: StoryblokClient,
    transaction: Callable[[], AbstractContextManager[Connection]],
    org: str,
    days: Sequence[date],
    quarantine: Quarantine | None = None,
) -> Loaded:
    """Fetch and write each of ``days`` in order, each in a ``transaction()`` of its own; needs no Airflow.

    A failure stops the load: the days written before it stay (a retry finds them unchanged and
    writes nothing), and the error is the fetch's (``StoryblokError``) for the caller to judge.
    """
    from storyblok_traffic.fetching import fetch_asset_day
    from storyblok_traffic.warehouse.asset_writes import write_asset_day
    from storyblok_traffic.warehouse.writes import write_answer

    loaded, started, told = Loaded(), time.monotonic(), time.monotonic()
    if not days:
        return loaded
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch-next") as ahead:
        coming = ahead.submit(fetch_asset_day, client, org, days[0], quarantine)
        for i, day in enumerate(days):
            fetched, served = coming.result()
            if i + 1 < len(days):
                coming = ahead.submit(fetch_asset_day, client, org, days[i + 1], quarantine)
            with transaction() as conn:
                counts = write_asset_day(conn, org, served).as_dict() | {"raw_responses": write_answer(conn, fetched)}
            loaded.add(day, len(served.assets), counts)
            if time.monotonic() - told >= PROGRESS_EVERY_SECONDS or i + 1 == len(days):
                told = time.monotonic()
                log.info(
                    "Files' bytes of %s: %d of %d days loaded (through %s) in %.0f s; rows written %s",
                    org,
                    i + 1,
                    len(days),
                    day,
                    told - started,
                    loaded.written,
                )
    return loaded
