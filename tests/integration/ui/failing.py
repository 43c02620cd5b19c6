"""An organisation whose fetches fail, for the dashboard's tests: its daily DAG run through ``dag.test``
(into the test's Airflow metadata database, which the API server reads) with a token Storyblok refuses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from include.storyblok_simulator import StoryblokSimulator
from storyblok_traffic.config import load_config

BROKEN = "storyblok_broken"  # its connection id and org; its DAG is storyblok_traffic_storyblok_broken
WRONG_TOKEN = "wrong-token-9f8e7d6c5b4a3210"  # never shown: the page and the API must not carry it


def failing_config(schema: str) -> str:
    """The monitor's YAML with the default organisation and the broken one."""
    return f"warehouse_schema: {schema}\norganisations: [{{conn_id: storyblok_default}}, {{conn_id: {BROKEN}}}]\n"


def run_daily_dag(
    mp: pytest.MonkeyPatch, config: Path, conn_id: str, simulator: StoryblokSimulator, token: str, day: date
) -> Any:
    """One run of ``conn_id``'s daily DAG for ``day`` (``dag.test``), its connection's token ``token``."""
    from storyblok_traffic.dags import daily_dags

    mp.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    mp.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "storyblok", "host": simulator.url, "password": token}),
    )
    monitor = load_config(config)
    [org] = [o for o in monitor.organisations if o.conn_id == conn_id]
    # A run's data interval is the day before its logical date's boundary: ask for the day after.
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return daily_dags(monitor)[org.dag_id].test(logical_date=logical)
