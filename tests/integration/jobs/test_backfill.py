"""The backfill: month-sized requests, and the same tables and alerts as the daily DAG's runs day by day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from include.storyblok_simulator import SimulatorSettings
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.jobs import backfill
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import metadata
from storyblok_traffic.xcom import Range
from tests.integration.pipeline import FIRST, LAST, TODAY, comparable, daily_runs


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=TODAY, monthly_limit=400_000, spaces=40)


def test_backfill_equals_the_daily_runs(
    airflow_db, simulator, storyblok_conn, warehouse_conn, receiver, engine, tmp_path, monkeypatch
):
    import uuid

    from tests.dag_loading import load_dags

    daily_schema, bulk_schema = f"t_{uuid.uuid4().hex[:12]}", f"t_{uuid.uuid4().hex[:12]}"
    try:
        # Without refetching, the daily runs store exactly the range's days, like the bulk load. (With it,
        # the first run would also store the 3 days before the range, and later checks would count them.)
        # Without the file load: the days' tables are compared (the files' history: test_asset_days.py).
        org = OrgConfig(refetch_days=0, asset_traffic=False)
        daily_runs(org, MonitorConfig(warehouse_schema=daily_schema))
        daily_calls = len(simulator.calls())

        config = tmp_path / "monitor.yaml"
        config.write_text(
            f"warehouse_schema: {bulk_schema}\norganisations:\n  - refetch_days: 0\n    asset_traffic: false\n"
        )
        monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
        run = load_dags()["storyblok_traffic_backfill"].test(
            run_conf={"start_date": str(FIRST), "end_date": str(LAST), "organisation": "storyblok_default"}
        )
        assert str(run.state) == "success"
        bulk_calls = len(simulator.calls()) - daily_calls
        assert bulk_calls == len(backfill.month_chunks(Range(FIRST, LAST)))

        daily, bulk = comparable(engine, daily_schema), comparable(engine, bulk_schema)
        assert len(daily["space_traffic_daily"]) == 40 * 66
        status = [c.name for c in metadata.tables["usage_alerts"].columns if c.name != "notified_at"].index("status")
        kind = [c.name for c in metadata.tables["usage_alerts"].columns if c.name != "notified_at"].index("kind")
        # Recorded quietly; a forecast whose projection fell back ended, quietly (cleared, never told).
        assert {row[status] for row in daily["usage_alerts"] if row[kind] != "forecast"} == {"suppressed"}
        assert {row[status] for row in daily["usage_alerts"] if row[kind] == "forecast"} <= {"suppressed", "cleared"}
        assert len(daily["usage_alerts"]) >= 4  # monthly and yearly thresholds were crossed
        # The same days, checked quietly; only the bulk load's are a history load (before monitoring started).
        assert {row[3] for row in daily["checked_days"]} == {False}
        assert {row[3] for row in bulk["checked_days"]} == {True}
        for tables in (daily, bulk):
            tables["checked_days"] = [row[:3] for row in tables["checked_days"]]
        assert daily == bulk
        assert receiver.messages == []
    finally:
        with engine.begin() as conn:
            for name in (daily_schema, bulk_schema):
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_a_month_that_fails_leaves_the_months_before_it_written_and_its_answer_aside(simulator, engine, schema):
    """The next month is fetched while one is written: a bad third month still leaves the first two
    written, each in a transaction of its own, nothing of the third, and its answer kept for diagnosis."""
    from include.storyblok_simulator import Fault
    from storyblok_traffic.errors import StoryblokPayloadError
    from storyblok_traffic.hooks.client import StoryblokClient
    from storyblok_traffic.hooks.connection import StoryblokConnectionSettings
    from storyblok_traffic.warehouse import reads
    from storyblok_traffic.warehouse.migrations import migrate
    from storyblok_traffic.warehouse.rejects import quarantine
    from storyblok_traffic.warehouse.tables import rejected_responses

    migrate(engine, schema)
    start = (TODAY.replace(day=1) - timedelta(days=95)).replace(day=1)
    days = Range(start, (start + timedelta(days=95)).replace(day=1) - timedelta(days=1))
    chunks = backfill.month_chunks(days)
    assert len(chunks) == 3
    for chunk in chunks[:2]:
        simulator.faults.append(Fault(status=200, body=simulator.model.all_traffic(chunk.first, chunk.last, "day")))
    bad = simulator.model.all_traffic(chunks[2].first, chunks[2].last, "day")
    bad["traffic"][-1]["api_requests"] = -1
    simulator.faults.append(Fault(status=200, body=bad))
    settings = StoryblokConnectionSettings("sim", simulator.url, "eu", simulator.settings.token, "personal", 50.0)

    with pytest.raises(StoryblokPayloadError, match=rf"kept in {schema}\.rejected_responses"):
        backfill.load_months(
            StoryblokClient(settings), engine, schema, "acme", days, quarantine(lambda: begin(engine, schema), schema)
        )
    with begin(engine, schema) as conn:
        stored = reads.days_stored(conn, "acme", days.first, days.last)
        rejected = list(conn.scalars(select(rejected_responses.c.start_date)))
    assert stored == {chunks[0].first + timedelta(days=i) for i in range((chunks[1].last - chunks[0].first).days + 1)}
    assert rejected == [chunks[2].first]
    assert len(simulator.calls()) == 3
