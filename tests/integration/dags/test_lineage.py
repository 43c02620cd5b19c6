"""Lineage (issue 40): a daily run through ``dag.test`` with Airflow's OpenLineage provider configured
(its file transport, from openlineage-python): each task's COMPLETE event names what it read and wrote,
the organisation's statistics at Storyblok and the warehouse's tables."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from include.storyblok_simulator import SimulatorSettings

TODAY = datetime.now(UTC).date()
DAY = TODAY - timedelta(days=2)


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=TODAY)


TASKS = {"fetch_traffic", "upsert_traffic", "load_assets", "check_usage"}


def _events(path, timeout: float = 60) -> dict[str, dict]:
    """Each task's COMPLETE event, by task id, once every task's is in: the provider's listener emits
    them from a worker of its own, which may write after the task has ended."""
    deadline = time.monotonic() + timeout
    while True:
        found = {}
        for line in path.read_text().splitlines() if path.exists() else []:
            event = json.loads(line)
            if event.get("eventType") == "COMPLETE" and "." in event["job"]["name"]:
                found[event["job"]["name"].split(".", 1)[1]] = event
        if found.keys() >= TASKS or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_a_daily_run_tells_openlineage_what_each_task_read_and_wrote(
    airflow_db, simulator, storyblok_conn, warehouse_conn, receiver, schema, monkeypatch, tmp_path
):
    events_file = tmp_path / "lineage.jsonl"
    transport = {"type": "file", "log_file_path": str(events_file), "append": True}
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__TRANSPORT", json.dumps(transport))
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__NAMESPACE", "storyblok-test")
    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\nstart_date: 2026-01-01\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    # In a process of its own: the provider decides once per process whether it listens (an earlier
    # dag.test in this one, unconfigured, would have left it off).
    logical = datetime.combine(DAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    probe = (
        "from datetime import datetime; from tests.dag_loading import load_dags; "
        f"print(load_dags()['storyblok_traffic'].test(logical_date=datetime.fromisoformat('{logical.isoformat()}')).state)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False)
    assert "success" in done.stdout.splitlines(), done.stderr[-3000:]  # the run's state, among the logs
    events = _events(events_file)
    api = (simulator.url, "storyblok_default/all_traffic")
    database = warehouse_conn.rsplit("/", 1)[1]
    host = warehouse_conn.split("@", 1)[1].split("/", 1)[0]

    def table(name: str) -> tuple[str, str]:
        return f"postgres://{host}", f"{database}.{schema}.{name}"

    def datasets(task: str, side: str) -> set[tuple[str, str]]:
        return {(d["namespace"], d["name"]) for d in events[task][side]}

    assert datasets("fetch_traffic", "inputs") == {api}
    assert datasets("fetch_traffic", "outputs") == set()
    assert datasets("upsert_traffic", "inputs") == {api}
    assert datasets("upsert_traffic", "outputs") == {
        table(t) for t in ("org_traffic_daily", "space_traffic_daily", "usage_snapshots", "raw_responses")
    }
    assert datasets("load_assets", "inputs") == {(simulator.url, "storyblok_default/assets_traffic")}
    assert table("asset_traffic_daily") in datasets("load_assets", "outputs")
    assert table("usage_alerts") in datasets("check_usage", "outputs")
    assert table("org_traffic_daily") in datasets("check_usage", "inputs")
