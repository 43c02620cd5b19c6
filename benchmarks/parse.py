"""DAG parse cost: loading ``dags/`` in a DagBag next to a one-task DAG, each in a fresh interpreter
that has imported ``airflow.sdk`` first (as the dag-processor has); median of 5."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, report

RUNS = 5
CHILD = """
import resource, sys, time
import airflow.sdk  # the dag-processor has this loaded before it parses anything
from airflow.dag_processing.dagbag import DagBag

start = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
elapsed = time.perf_counter() - start
assert not bag.import_errors, bag.import_errors
print("RESULT", elapsed, len(bag.dags), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
ONE_TASK = """
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("one_task", schedule=None, start_date=datetime(2026, 1, 1)):
    EmptyOperator(task_id="only")
"""


def parse_seconds(folder: Path, env: dict[str, str]) -> tuple[float, int, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"parsing {folder} failed:\n{done.stderr[-2000:]}")
    out = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")][-1].split()[1:]
    return float(out[0]), int(out[1]), float(out[2])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": tmp,
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
                "PYTHONPATH": str(ROOT),
            }
        )
        env.pop("STORYBLOK_TRAFFIC_CONFIG", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployed package has its bytecode cached
        baseline = Path(tmp) / "baseline"
        baseline.mkdir()
        (baseline / "one_task.py").write_text(ONE_TASK)
        for folder in (ROOT / "dags", baseline):
            parse_seconds(folder, env)  # warm-up: writes the bytecode caches
        ours = [parse_seconds(ROOT / "dags", env) for _ in range(RUNS)]
        daily = [parse_seconds(ROOT / "dags" / "storyblok_traffic.py", env) for _ in range(RUNS)]
        base = [parse_seconds(baseline, env) for _ in range(RUNS)]
    ours_s = statistics.median(t for t, _, _ in ours)
    base_s = statistics.median(t for t, _, _ in base)
    daily_s = statistics.median(t for t, _, _ in daily)
    report(
        {
            "dags": ours[0][1],
            "ours_ms": round(ours_s * 1000, 1),
            "one_task_ms": round(base_s * 1000, 1),
            "ratio": round(ours_s / base_s, 2),
            "daily_dag_file_ms": round(daily_s * 1000, 1),
            "daily_dag_file_ratio": round(daily_s / base_s, 2),
            "peak_rss_mb": round(max(m for _, _, m in ours), 1),
        }
    )


if __name__ == "__main__":
    main()
