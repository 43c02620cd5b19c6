"""Helpers for the database fault tests: one day's fetch, and an upsert interrupted mid-transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from storyblok_traffic.config import MonitorConfig
from storyblok_traffic.jobs.daily import upsert_traffic
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator


def fetch(day: date) -> dict[str, Any]:
    return StoryblokTrafficOperator(task_id="f", start_date_str=str(day), end_date_str=str(day)).execute({})


def interrupted_upsert(
    engine: Engine, fetched: dict[str, Any], schema: str, interrupt: Callable[[int], None]
) -> BaseException | None:
    """Upsert ``fetched`` while the space table is locked: the org rows are written, then the upsert
    waits mid-transaction and ``interrupt`` gets its backend's pid. Returns what the upsert raised."""
    failure: list[BaseException] = []

    def upsert() -> None:
        try:
            upsert_traffic(fetched, MonitorConfig(warehouse_schema=schema))
        except BaseException as err:  # returned to the test
            failure.append(err)

    blocker = engine.connect()
    try:
        blocker.execute(text(f'LOCK TABLE "{schema}".space_traffic_daily IN ACCESS EXCLUSIVE MODE'))
        worker = threading.Thread(target=upsert)
        worker.start()
        interrupt(wait_for_blocked_backend(engine))
        worker.join(30)
    finally:
        blocker.invalidate()  # its server may be gone: drop it rather than roll back
    return failure[0] if failure else None


def wait_for_blocked_backend(engine: Engine, query_like: str = "%space_traffic_daily%", timeout: float = 20) -> int:
    """The pid of a session of this database waiting for a lock in a statement like ``query_like``
    (by default: an upsert mid-transaction, at the space table)."""
    # From its own short transactions: pg_stat_activity is a snapshot per transaction.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as probe:
            pid = probe.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database() AND query ILIKE :like"
                ),
                {"like": query_like},
            ).scalar()
        if pid:
            return int(pid)
        time.sleep(0.05)
    pytest.fail(f"no session waited for a lock in a statement like {query_like!r}")
