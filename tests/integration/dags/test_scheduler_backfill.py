"""``airflow backfill create`` through a real scheduler (airflow standalone, Postgres metadata).

The backfilled days must leave the same tables and alert records as the daily DAG's tasks run one
day after the other, and the shared throttle must keep the simulator from ever answering 429.

The module's tests share one stack, simulator, receiver and warehouse (a stack's start costs some
40 s): they run in file order, each on the days after the one before, as a deployment's history grows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from include.airflow_stack import QUICK_STOP_SECONDS, AirflowStack, airflow_env
from include.celery_stack import CeleryStack
from include.net import free_port
from include.storyblok_simulator import SimulatorSettings
from storyblok_traffic.config import MonitorConfig, OrgConfig
from tests.integration.conftest import Shared, metadata_database, shared
from tests.integration.pipeline import comparable, daily_runs

TODAY = datetime.now(UTC).date()
FIRST, LAST = TODAY - timedelta(days=17), TODAY - timedelta(days=11)  # older than the alert lookback
FAILED = (LAST + timedelta(days=1), LAST + timedelta(days=3))  # the second test's days, after the first's


@pytest.fixture(scope="module")
def world(engine, warehouse_url) -> Iterator[Shared]:
    with shared(engine, warehouse_url, SimulatorSettings(today=TODAY, monthly_limit=100_000, spaces=30)) as found:
        yield found


@pytest.fixture(scope="module")
def stack(
    postgres_server, airflow_metadata_template, world: Shared, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AirflowStack]:
    meta = f"meta_{world.schema}"  # its own metadata database: runs side by side never share one
    url = metadata_database(postgres_server, airflow_metadata_template, meta)
    home = tmp_path_factory.mktemp("scheduler")
    config = home / "monitor.yaml"
    # Starting tomorrow, the DAG has no scheduled run of its own: only the backfill's runs happen
    # (a backfill takes the dates it is given, whatever the start date).
    # Without the file load: the days' tables are compared here, the load is test_dag_run's (and the soak's).
    config.write_text(
        f"warehouse_schema: {world.schema}\nstart_date: {TODAY + timedelta(days=1)}\n"
        "organisations: [{conn_id: storyblok_default, asset_traffic: false}]\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
        # Its components one by one, without a triggerer (no task defers): a process and its CPU less than
        # `airflow standalone`, beside the other stacks of a test run.
        env = airflow_env(home / "airflow", url, port=free_port())
        airflow = CeleryStack(env, home, workers=0, components=("scheduler", "dag-processor"))
        try:
            yield airflow.start(migrate=False)
        finally:
            airflow.stop(QUICK_STOP_SECONDS)
            with psycopg.connect(postgres_server, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {meta} WITH (FORCE)")


def test_backfill_through_the_scheduler_equals_daily_runs(stack, world, engine):
    simulator, receiver, schema = world.simulator, world.receiver, world.schema
    stack.backfill("storyblok_traffic", FIRST, LAST, max_active_runs=8)
    states = stack.wait_for_runs("storyblok_traffic", FIRST, LAST, timeout=300)
    assert states == {"success": (LAST - FIRST).days + 1}, stack.log_path.read_text()[-3000:]
    assert len(simulator.calls()) == (LAST - FIRST).days + 1  # one request a day: no 429, no retry
    assert receiver.messages == []  # every day is older than the lookback: recorded, not sent
    task_logs = [path.read_text() for path in (stack.log_path.parent / "airflow" / "logs").rglob("*.log")]
    assert len(task_logs) >= 3 * ((LAST - FIRST).days + 1)  # fetch, upsert and check each day: logs were read
    assert not [log for log in task_logs if "GitWildMatchPattern" in log]  # the pathspec warning is filtered

    expected = f"t_{uuid.uuid4().hex[:12]}"
    try:
        daily_runs(OrgConfig(asset_traffic=False), MonitorConfig(warehouse_schema=expected), FIRST, LAST)
        backfilled, one_by_one = comparable(engine, schema), comparable(engine, expected)
        assert len(backfilled["org_traffic_daily"]) == (LAST - FIRST).days + 1 + 3  # and the 3 refetched
        assert backfilled["usage_alerts"]  # the small plan is crossed in these days
        assert backfilled == one_by_one
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{expected}" CASCADE')


def test_failed_days_open_one_incident_and_later_days_resolve_it_and_alert_as_usual(stack, world, engine):
    simulator, receiver, schema = world.simulator, world.receiver, world.schema
    told_before = len(receiver.texts())
    token = simulator.settings.token
    simulator.settings.token = "rotated"  # the connection's token is refused: 401, no retry helps
    stack.backfill("storyblok_traffic", *FAILED, max_active_runs=1)
    assert stack.wait_for_runs("storyblok_traffic", *FAILED, timeout=180) == {"failed": 3}
    deadline = time.monotonic() + 120  # the dag-processor runs each run's failure callback soon after it
    while _runs_counted(engine, schema) < 3 and time.monotonic() < deadline:
        time.sleep(1)
    assert _runs_counted(engine, schema) == 3  # every failed run counted on the one incident
    [text] = receiver.texts()[told_before:]  # and told once
    assert text.startswith("Storyblok traffic: storyblok_default is failing: Storyblok rejected the token\n"), text
    assert " failed at task fetch_traffic on " in text
    assert "Storyblok answered 401 Unauthorized" in text
    assert "check the connection's Access token" in text
    assert token not in text

    # The token is fixed and the failed runs cleared, as the notice says: they ask again, and the first
    # completed check tells that the pipeline works again.
    simulator.settings.token = token
    body = {"dry_run": False, "only_failed": True, "reset_dag_runs": True}
    window = {"start_date": f"{FAILED[0]}T00:00:00Z", "end_date": f"{FAILED[1]}T00:00:00Z"}
    status, answer = stack.api("POST", "/api/v2/dags/storyblok_traffic/clearTaskInstances", body | window)
    assert status == 200, answer
    assert stack.wait_for_runs("storyblok_traffic", *FAILED, timeout=180) == {"success": 3}
    # The next days succeed and alert as usual: nothing waits for the failed days.
    simulator.settings.monthly_limit = 10_000  # one day of traffic crosses every monthly threshold
    recent = TODAY - timedelta(days=2)
    stack.backfill("storyblok_traffic", recent, TODAY - timedelta(days=1), max_active_runs=2)
    assert stack.wait_for_runs("storyblok_traffic", recent, TODAY - timedelta(days=1), timeout=180) == {"success": 2}
    with engine.connect() as conn:
        checked = conn.exec_driver_sql(f'SELECT day, quiet FROM "{schema}".checked_days ORDER BY day').all()
        statuses = (
            conn.exec_driver_sql(
                f'SELECT DISTINCT status FROM "{schema}".usage_alerts WHERE evaluated_on >= %(day)s', {"day": recent}
            )
            .scalars()
            .all()
        )
    # The day before yesterday is caught up (quiet); yesterday's check tells what is open, once.
    assert checked[-2:] == [(recent, True), (TODAY - timedelta(days=1), False)]
    assert set(statuses) == {"sent"}
    texts = receiver.texts()[told_before + 1 :]
    again = [t for t in texts if t.startswith("Storyblok traffic: storyblok_default is working again (")]
    assert len(again) == 1, texts
    assert "3 runs failed, the first " in again[0]
    assert any("Crossed the 100% threshold" in text for text in texts)


def _runs_counted(engine, schema) -> int:
    with engine.connect() as conn:
        return int(
            conn.exec_driver_sql(f'SELECT coalesce(sum(runs_failed), 0) FROM "{schema}".pipeline_incidents').scalar()
        )
