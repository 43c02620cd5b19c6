"""``airflow dags test`` at DEBUG, as a user debugging a run would: where the token can appear, exactly.

Airflow 3.3.2's in-process test supervisor logs every message a task sends it at DEBUG, and renders a
``MaskSecret`` message with its value: the secrets masker redacts strings, not that object's repr, and
Airflow sends one for every connection password it hands out. The real supervisor (scheduler runs)
omits message bodies. This test pins that upstream line as the only place the token shows, so that
anything of ours that leaks it, or an Airflow that stops leaking it, is noticed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from include.storyblok_simulator import SimulatorSettings

TODAY = datetime.now(UTC).date()
UPSTREAM = re.compile(r"Sending request +loc=supervisor\.py:\d+ msg=MaskSecret\(value='([^']*)'")


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=TODAY)


def test_the_token_shows_only_in_airflows_own_mask_secret_line(
    airflow_db, simulator, storyblok_conn, warehouse_conn, receiver, schema, tmp_path
):
    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\nstart_date: 2026-01-01\n")
    env = os.environ | {"STORYBLOK_TRAFFIC_CONFIG": str(config), "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG"}
    airflow = str(Path(sys.executable).with_name("airflow"))
    day = TODAY - timedelta(days=6)  # `dags test X` covers the day before X
    done = subprocess.run(
        [airflow, "dags", "test", "storyblok_traffic", str(day)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Sending request" in output  # DEBUG was really on
    token = simulator.settings.token
    lines = [line for line in output.splitlines() if token in line]
    assert lines, "Airflow 3.3.2 prints the token in its MaskSecret line: if this fails, update README"
    assert all(UPSTREAM.search(line) for line in lines), [line[:200] for line in lines if not UPSTREAM.search(line)]
