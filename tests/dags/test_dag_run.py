"""A whole DAG run (``dag.test``) against the simulator, a real Postgres and a local webhook receiver."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from include.storyblok_simulator import SimulatorSettings
from tests.conftest import SIM_TODAY

DAY = SIM_TODAY - timedelta(days=2)


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    # A limit this small is crossed by one day of traffic: 50 % on the first run, nothing above.
    return SimulatorSettings(today=SIM_TODAY, monthly_limit=1_500)


@pytest.fixture
def traffic_dag(airflow_db, storyblok_conn, warehouse_conn, receiver, schema, monkeypatch, tmp_path):
    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\nstart_date: 2026-01-01\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    from tests.dags.test_dag_integrity import load_dags

    return load_dags()["storyblok_traffic"]


def _run(dag, day: date):
    # A run's data interval is the day before its logical date's boundary: ask for the day after.
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return dag.test(logical_date=logical)


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_one_day_lands_rows_and_notifies_once_across_two_runs(traffic_dag, engine: Engine, schema, receiver, simulator):
    first = _run(traffic_dag, DAY)
    assert str(first.state) == "success", _states(first)
    assert _states(first)["notify_threshold_crossed"] == "success"
    assert _states(first)["usage_within_limits"] == "skipped"

    with engine.connect() as conn:
        org = conn.execute(text(f'SELECT day, api_requests FROM "{schema}".org_traffic_daily')).all()
        spaces = conn.execute(text(f'SELECT count(*) FROM "{schema}".space_traffic_daily')).scalar()
        alerts = conn.execute(text(f'SELECT threshold_pct, status FROM "{schema}".usage_alerts')).all()
    expected = simulator.model.day_rows(DAY)
    assert org == [(DAY, sum(r for _, r, _ in expected))]
    assert spaces == len(expected)
    assert [(float(t), s) for t, s in alerts] == [(50.0, "sent")]

    second = _run(traffic_dag, DAY)
    assert str(second.state) == "success", _states(second)
    assert _states(second)["usage_within_limits"] == "success"
    assert _states(second)["notify_threshold_crossed"] == "skipped"

    assert len(receiver.messages) == 1
    message = receiver.texts()[0]
    assert "storyblok_default" in message
    assert "50% threshold" in message
    assert str(DAY) in message
    assert simulator.settings.token not in message
