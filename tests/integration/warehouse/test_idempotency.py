"""The same 10 days, three times, in order, reversed and in parallel: the warehouse ends as after one clean run."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from include.storyblok_simulator import SimulatorSettings
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.jobs.daily import check_usage, upsert_traffic
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
from storyblok_traffic.warehouse.checksum import table_checksums
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import SIM_TODAY

DAYS = [date(2026, 2, 20) + timedelta(days=i) for i in range(10)]


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=SIM_TODAY, spaces=20, monthly_limit=200_000, requests_per_second=50)


def load(day: date, config: MonitorConfig) -> None:
    fetch = StoryblokTrafficOperator(task_id="fetch", start_date_str=str(day), end_date_str=str(day), refetch_days=3)
    upsert_traffic(fetch.execute({}), config)


def check_all(config: MonitorConfig) -> None:
    for day in DAYS:
        check_usage(day, OrgConfig(), config, today=SIM_TODAY)


def sums(engine, schema) -> dict[str, str]:
    with begin(engine, schema) as conn:
        return table_checksums(conn)


def test_reruns_orders_and_parallel_runs_end_in_the_same_state(simulator, storyblok_conn, warehouse_conn, engine):
    clean, busy = f"t_{uuid.uuid4().hex[:12]}", f"t_{uuid.uuid4().hex[:12]}"
    try:
        once = MonitorConfig(warehouse_schema=clean)
        for day in DAYS:
            load(day, once)
        check_all(once)

        thrice = MonitorConfig(warehouse_schema=busy)
        for day in DAYS:
            load(day, thrice)
        for day in reversed(DAYS):
            load(day, thrice)
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda d: load(d, thrice), DAYS))
        check_all(thrice)
        check_all(thrice)  # the checks again, too

        expected = sums(engine, clean)
        assert expected["space_traffic_daily"]
        assert expected["usage_alerts"]
        assert sums(engine, busy) == expected
    finally:
        with engine.begin() as conn:
            for name in (clean, busy):
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_checksums_see_values_and_ignore_when_work_happened(history, engine, schema):
    history.days("acme", {date(2026, 1, 1): 10, date(2026, 1, 2): 20})
    before = sums(engine, schema)
    history.AT = "2026-02-01T00:00:00+00:00"
    history.days("acme", {date(2026, 1, 1): 10})  # same value, later fetch: fetched_at does not move anyway
    with begin(engine, schema) as conn:
        conn.exec_driver_sql(f'UPDATE "{schema}".org_traffic_daily SET fetched_at = now()')
    assert sums(engine, schema) == before
    history.days("acme", {date(2026, 1, 2): 21})
    after = sums(engine, schema)
    assert after["org_traffic_daily"] != before["org_traffic_daily"]
    assert {k: v for k, v in after.items() if k != "org_traffic_daily"} == {
        k: v for k, v in before.items() if k != "org_traffic_daily"
    }
