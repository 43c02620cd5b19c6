"""Bulk history: a year for 500 spaces from the simulator (rate limit on) through ``storyblok_traffic_backfill``.

The DAG runs in this process with ``dag.test`` (SQLite metadata is enough without a scheduler); the
simulator serves from a thread of this process, so the peak memory includes it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import ROOT, new_schema, postgres, report
from include.airflow_stack import airflow_env

SPACES = 500


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-airflow-"))
    # dag.test needs no scheduler, so SQLite metadata is enough here.
    os.environ.update(airflow_env(home, f"sqlite:///{home}/airflow.db"))
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator

    today = datetime.now(UTC).date()
    last = today - timedelta(days=1)
    first = last - timedelta(days=364)
    sim = StoryblokSimulator(SimulatorSettings(today=today, spaces=SPACES)).start()
    schema = new_schema()
    config = home / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\n")
    try:
        with postgres() as url:
            os.environ["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"] = url.replace("postgresql://", "postgres://")
            os.environ["AIRFLOW_CONN_STORYBLOK_DEFAULT"] = json.dumps(
                {"conn_type": "storyblok", "host": sim.url, "password": sim.settings.token}
            )
            os.environ["STORYBLOK_TRAFFIC_CONFIG"] = str(config)
            from airflow.dag_processing.dagbag import DagBag

            dag = DagBag(dag_folder=str(ROOT / "dags" / "storyblok_traffic_backfill.py")).dags[
                "storyblok_traffic_backfill"
            ]
            start = time.perf_counter()
            run = dag.test(
                run_conf={"start_date": str(first), "end_date": str(last), "organisation": "storyblok_default"}
            )
            seconds = time.perf_counter() - start
            rows = _count_rows(url, schema)
    finally:
        sim.stop()
    report(
        {
            "state": str(run.state),
            "days": (last - first).days + 1,
            "spaces": SPACES,
            "seconds": round(seconds, 1),
            "api_calls": len(sim.calls()),
            "space_rows": rows,
        }
    )


def _count_rows(url: str, schema: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{schema}".space_traffic_daily').fetchone()
        return int(row[0]) if row else 0


if __name__ == "__main__":
    main()
