"""Days of files' bytes loaded from the simulator over HTTP into a real Postgres: which days a daily run
asks for, a rerun writing nothing, and a failed day leaving the days before it written."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from include.storyblok_simulator import ASSETS_TRAFFIC, Fault
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.jobs.asset_days import days_for_run, load_days
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.tables import asset_traffic_daily, raw_responses
from tests.integration.test_fetching import client

LAST = date(2026, 3, 8)  # the simulator's today is 2026-03-10


def each(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def transaction(engine, schema):
    migrate(engine, schema)
    return lambda: begin(engine, schema)


def stored_days(engine, schema) -> dict[date, int]:
    t = asset_traffic_daily.c
    with begin(engine, schema) as conn:
        return dict(conn.execute(select(t.day, func.sum(t.total_bytes)).group_by(t.day)).all())


def test_each_day_is_a_request_of_its_own_and_a_rerun_writes_nothing(simulator, transaction, engine, schema):
    days = each(LAST - timedelta(days=2), LAST)
    loaded = load_days(client(simulator), transaction, "acme", days)
    assert [c["query"]["start_date"] for c in simulator.calls(ASSETS_TRAFFIC)] == [[d.isoformat()] for d in days]
    expected = {d: sum(a["total_bytes"] for a in simulator.model.assets_traffic(d, d)) for d in days}
    assert stored_days(engine, schema) == expected
    assert [d["day"] for d in loaded.to_xcom()["days"]] == [d.isoformat() for d in days]
    assert loaded.written["raw_responses"] == 3
    assert loaded.written["asset_days"] > 0
    again = load_days(client(simulator), transaction, "acme", days)
    assert set(again.written.values()) == {0}


def test_a_day_that_cannot_be_had_stops_the_load_and_the_days_before_it_stay(simulator, transaction, engine, schema):
    days = each(LAST - timedelta(days=1), LAST)
    simulator.faults.extend([Fault(status=200), Fault(status=200, body={"assets": "none"})])  # the second invalid
    with pytest.raises(StoryblokPayloadError):
        load_days(client(simulator), transaction, "acme", days)
    assert list(stored_days(engine, schema)) == [days[0]]


def test_a_daily_run_asks_for_its_day_the_refetch_days_and_the_days_missed(simulator, transaction, engine, schema):
    org = OrgConfig(conn_id="sb", org="acme", refetch_days=2, max_gap_days=5)
    with transaction() as conn:
        assert days_for_run(conn, org, LAST) == each(LAST - timedelta(days=2), LAST)  # nothing loaded: no history
    load_days(client(simulator), transaction, "acme", [LAST - timedelta(days=4)])
    with transaction() as conn:
        assert days_for_run(conn, org, LAST) == each(LAST - timedelta(days=3), LAST)  # from the day after it
    with begin(engine, schema) as conn:
        conn.execute(raw_responses.delete())
    load_days(client(simulator), transaction, "acme", [LAST - timedelta(days=9)])
    with transaction() as conn:
        assert days_for_run(conn, org, LAST) == each(LAST - timedelta(days=5), LAST)  # max_gap_days back at most
        off = OrgConfig(conn_id="sb", org="acme", refetch_days=0, max_gap_days=0)
        assert days_for_run(conn, off, LAST) == [LAST]


def test_a_history_of_files_is_loaded_a_day_per_request_at_the_rate_limit_with_its_progress(
    simulator, engine, schema, storyblok_conn, warehouse_conn, caplog, monkeypatch
):
    from storyblok_traffic.config import MonitorConfig
    from storyblok_traffic.jobs import asset_days, backfill
    from storyblok_traffic.xcom import Range

    monkeypatch.setattr(asset_days, "PROGRESS_EVERY_SECONDS", 0.0)  # every day's progress, for the test
    migrate(engine, schema)
    config = MonitorConfig(warehouse_schema=schema)
    days = Range(LAST - timedelta(days=7), LAST)
    caplog.set_level("INFO", logger=asset_days.__name__)
    done = backfill.load_asset_range(days, OrgConfig(), config)
    assert done["days"] == 8
    calls = simulator.calls(ASSETS_TRAFFIC)
    assert [c["query"]["start_date"][0] for c in calls] == [d.isoformat() for d in each(days.first, days.last)]
    per_second = Counter(int(c["at"]) for c in calls)
    assert max(per_second.values()) <= simulator.settings.requests_per_second  # paced: never over the rate
    assert stored_days(engine, schema) == {
        d: sum(a["total_bytes"] for a in simulator.model.assets_traffic(d, d)) for d in each(days.first, days.last)
    }
    progress = [r.getMessage() for r in caplog.records if "days loaded" in r.getMessage()]
    assert progress[0].startswith("Files' bytes of storyblok_default: 1 of 8 days loaded")
    assert progress[-1].startswith("Files' bytes of storyblok_default: 8 of 8 days loaded")
    assert backfill.load_asset_range(days, OrgConfig(), config, "stored")["skipped"].startswith("replayed")
    assert "asset_traffic is off" in backfill.load_asset_range(days, OrgConfig(asset_traffic=False), config)["skipped"]
    assert len(simulator.calls(ASSETS_TRAFFIC)) == 8  # neither asked
