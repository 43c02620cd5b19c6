"""Helpers for the database fault tests: one day's fetch, and waiting for an upsert held by a lock."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from storyblok_traffic.operator import StoryblokTrafficOperator


def fetch(day: date) -> dict[str, Any]:
    return StoryblokTrafficOperator(task_id="f", start_date_str=str(day), end_date_str=str(day)).execute({})


def wait_for_blocked_backend(engine: Engine, timeout: float = 20) -> int:
    """The pid of the session waiting for a lock on ``space_traffic_daily``: an upsert mid-transaction."""
    # From its own short transactions: pg_stat_activity is a snapshot per transaction.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as probe:
            pid = probe.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE '%space_traffic_daily%'"
                )
            ).scalar()
        if pid:
            return int(pid)
        time.sleep(0.05)
    pytest.fail("the upsert never reached the locked table")
