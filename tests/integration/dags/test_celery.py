"""The CeleryExecutor, run for real (issue 14): Redis as the broker, two workers that share nothing on
disk (their own temp and throttle directories, as if on two hosts), a 20-day backfill with 16 active
runs against the simulator at 3 requests per second.

With the shared rate limit (``STORYBLOK_THROTTLE_URL``, in Redis) the simulator never answers 429;
the same backfill with each worker's own host-local throttle does get 429s: the shared limit is what
holds.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from include.airflow_stack import QUICK_STOP_SECONDS, airflow_env
from include.celery_stack import CeleryStack, celery_env
from include.net import free_port
from include.storyblok_simulator import SimulatorSettings
from storyblok_traffic.config import MonitorConfig, OrgConfig
from tests.integration.conftest import metadata_database
from tests.integration.pipeline import comparable, daily_runs

TODAY = datetime.now(UTC).date()
# 12 days, older than the lookback: more than the 8 active runs (and the 8 task slots), as many as the assertions need
FIRST, LAST = TODAY - timedelta(days=22), TODAY - timedelta(days=11)
EARLIER = (FIRST - timedelta(days=30), FIRST - timedelta(days=1))  # the control's days
EARLY_DAYS = range((EARLIER[1] - EARLIER[0]).days + 1)
BROKER = "redis://127.0.0.1:6379/11"
THROTTLE = "redis://127.0.0.1:6379/12"
DAYS = (LAST - FIRST).days + 1


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=TODAY, monthly_limit=100_000, spaces=30, requests_per_second=3)


@pytest.fixture
def celery(
    postgres_server,
    airflow_metadata_template,
    simulator,
    storyblok_conn,
    warehouse_conn,
    receiver,
    schema,
    tmp_path,
    monkeypatch,
):
    from redis import Redis

    for redis_url in (BROKER, THROTTLE):
        Redis.from_url(redis_url).flushdb()
    meta = f"meta_{schema}"
    url = metadata_database(postgres_server, airflow_metadata_template, meta)
    config = tmp_path / "monitor.yaml"
    # Without the file load: the days' tables are compared here, the load is test_dag_run's (and the soak's).
    config.write_text(
        f"warehouse_schema: {schema}\nstart_date: {TODAY + timedelta(days=1)}\n"
        "organisations: [{conn_id: storyblok_default, asset_traffic: false}]\n"
    )
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    monkeypatch.setenv("STORYBLOK_THROTTLE_URL", THROTTLE)
    # The plan's rate, as the connection says it (3 on Starter).
    conn_json = storyblok_conn_json(simulator)
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_DEFAULT", conn_json)
    env = celery_env(airflow_env(tmp_path / "airflow", url, port=free_port(), parallelism=32), BROKER)
    # No triggerer: no task defers (a process less beside the other stacks of a test run).
    stack = CeleryStack(env, tmp_path / "stack", workers=2, concurrency=4, components=("scheduler", "dag-processor"))
    try:
        yield stack.start(pool_slots=16, migrate=False)
    finally:
        stack.stop(QUICK_STOP_SECONDS)
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {meta} WITH (FORCE)")


def storyblok_conn_json(simulator) -> str:
    import json

    extra = {"requests_per_second": 3}
    return json.dumps(
        {"conn_type": "storyblok", "host": simulator.url, "password": simulator.settings.token, "extra": extra}
    )


def test_two_celery_workers_share_one_rate_limit_and_equal_daily_runs(celery, simulator, engine, schema):
    celery.backfill("storyblok_traffic", FIRST, LAST, max_active_runs=8)
    states = celery.wait_for_runs("storyblok_traffic", FIRST, LAST, timeout=600)
    assert states == {"success": DAYS}, _logs(celery)
    assert _over_rate(simulator, 0) == 0
    assert len(simulator.calls()) == DAYS  # one request a day: no 429 was answered, nothing retried
    assert max(_busiest(simulator, 0)) == 3  # and the limit was reached: the shared throttle held it
    assert _hosts(celery) == {"127.0.0.1", "127.0.0.2"}  # both workers ran tasks

    expected = f"t_{uuid.uuid4().hex[:12]}"
    try:
        daily_runs(OrgConfig(asset_traffic=False), MonitorConfig(warehouse_schema=expected), FIRST, LAST)
        assert comparable(engine, schema) == comparable(engine, expected)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{expected}" CASCADE')

    # The control: the same workers, each with only its own host's throttle. It ends at the first 429.
    celery.stop_workers()
    host_local = {k: v for k, v in celery.env.items() if k != "STORYBLOK_THROTTLE_URL"}
    celery.start_workers(host_local)
    before = len(simulator.requests)
    celery.backfill("storyblok_traffic", *EARLIER, max_active_runs=16)
    deadline = time.monotonic() + 300
    while not _over_rate(simulator, before) and time.monotonic() < deadline:
        if celery.wait_for_runs("storyblok_traffic", *EARLIER, timeout=0).get("success", 0) == len(EARLY_DAYS):
            break
        time.sleep(1)
    assert _over_rate(simulator, before), (
        f"no 429 without the shared limit: the control proves nothing; busiest seconds: {_busiest(simulator, before)}"
    )


def _over_rate(simulator, first: int, last: int | None = None) -> int:
    """The requests the simulator answered 429: beyond its rate in one wall-clock second."""
    from collections import Counter

    seconds = Counter(int(r["at"]) for r in simulator.requests[first:last])
    return sum(max(0, n - simulator.settings.requests_per_second) for n in seconds.values())


def _busiest(simulator, first: int, last: int | None = None) -> list[int]:
    """Requests in each of the five busiest wall-clock seconds."""
    from collections import Counter

    seconds = Counter(int(r["at"]) for r in simulator.requests[first:last])
    return sorted(seconds.values(), reverse=True)[:5]


def _hosts(stack: CeleryStack) -> set[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        with engine.connect() as conn:
            # Skipped tasks never ran anywhere: their hostname is empty.
            query = text(
                "SELECT DISTINCT hostname FROM task_instance WHERE dag_id = 'storyblok_traffic' AND hostname <> ''"
            )
            return {str(h) for h in conn.scalars(query)}
    finally:
        engine.dispose()


def _logs(stack: CeleryStack) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(stack.log_dir.glob("*.log")))


def test_make_run_with_celery_needs_a_redis_and_says_which(monkeypatch):
    from include.devstack import use_redis
    from include.net import free_port

    env = {"AIRFLOW__CELERY__BROKER_URL": f"redis://:hunter2@127.0.0.1:{free_port()}/0"}
    with pytest.raises(SystemExit) as stop:
        use_redis(env)
    message = str(stop.value)
    assert "AIRFLOW__CELERY__BROKER_URL" in message
    assert "does not answer" in message
    assert "hunter2" not in message
    defaults: dict[str, str] = {}
    use_redis(defaults)  # this machine's Redis
    assert defaults == {
        "AIRFLOW__CELERY__BROKER_URL": "redis://127.0.0.1:6379/5",
        "STORYBLOK_THROTTLE_URL": "redis://127.0.0.1:6379/6",
    }
