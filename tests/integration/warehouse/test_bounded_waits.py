"""No wait on the warehouse is unbounded (issue 27): a check that finds its organisation's lock held by
a stuck session, or a statement blocked behind another, fails after the configured bound with a
message naming what it waited for (and the session that held the lock); its retry then succeeds."""

from __future__ import annotations

import time
from datetime import date, timedelta

import psycopg
import pytest

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.errors import WarehouseWaitTimeout
from storyblok_traffic.jobs.daily import check_usage
from storyblok_traffic.warehouse.alerts import _LOCK_SPACE

DAY = date(2026, 3, 10)
ORG = OrgConfig(conn_id="sb", org="acme")
# Without the bound under test the check would wait for ever: the holder lets go after 20 s, so that
# such a regression fails the test (the check then succeeds) instead of hanging the run.
HOLD_AT_MOST = "SET idle_in_transaction_session_timeout = '20s'"


@pytest.fixture
def stored(history) -> None:
    history.limit("acme", date(2026, 3, 1), 10_000)
    history.days("acme", {date(2026, 3, 1) + timedelta(days=i): 100 for i in range(10)})


def check_while_held(warehouse_url: str, config: MonitorConfig, *held: str) -> tuple[str, float, int]:
    """The day's check while another session, inside its transaction, holds what ``held`` takes: the
    error it fails with, the seconds it waited, and the holder's pid."""
    with psycopg.connect(warehouse_url) as holder:
        holder.execute("SET application_name = 'stuck-sender'")
        holder.execute(HOLD_AT_MOST)
        for statement in held:
            holder.execute(statement)
        started = time.monotonic()
        with pytest.raises(WarehouseWaitTimeout) as failed:
            check_usage(DAY, ORG, config, today=DAY)
        return str(failed.value), time.monotonic() - started, holder.info.backend_pid


def test_a_held_organisation_lock_fails_the_check_naming_the_holder_and_the_retry_succeeds(
    stored, schema, warehouse_url
):
    config = MonitorConfig(warehouse_schema=schema, organisations=(ORG,), lock_timeout_seconds=1)
    lock = f"SELECT pg_advisory_xact_lock({_LOCK_SPACE}, hashtext('acme'))"  # a sender stuck with the lock
    said, waited, pid = check_while_held(warehouse_url, config, lock)
    assert said.startswith("waited 1s (lock_timeout_seconds) for the lock of organisation 'acme'")
    assert f"held by session {pid} (application 'stuck-sender', idle in transaction since " in said
    assert "its last statement: SELECT pg_advisory_xact_lock" in said
    assert 1 <= waited < 10
    assert check_usage(DAY, ORG, config, today=DAY).day == DAY  # the holder is gone: the retry runs


def test_a_statement_blocked_past_its_bound_fails_naming_the_statement(stored, schema, warehouse_url):
    config = MonitorConfig(
        warehouse_schema=schema, organisations=(ORG,), lock_timeout_seconds=60, statement_timeout_seconds=1
    )
    said, waited, _ = check_while_held(
        warehouse_url, config, f'LOCK TABLE "{schema}".usage_alerts IN ACCESS EXCLUSIVE MODE'
    )
    assert said.startswith("a statement ran longer than statement_timeout_seconds (1 s): SELECT")
    assert "usage_alerts" in said
    assert 1 <= waited < 10  # not the lock's 60 s
    assert check_usage(DAY, ORG, config, today=DAY).day == DAY


def test_every_transaction_has_both_bounds(engine, schema, history):
    from sqlalchemy import text

    from storyblok_traffic.warehouse.engine import begin

    with begin(engine, schema, 7, 11) as conn:
        bounds = conn.execute(
            text("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
        ).one()
    assert tuple(bounds) == ("7s", "11s")
    with begin(engine, schema) as conn:  # the command line's and the tests' defaults
        bounds = conn.execute(
            text("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
        ).one()
    assert tuple(bounds) == ("5min", "15min")
