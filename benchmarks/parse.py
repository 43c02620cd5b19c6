"""DAG parse cost: loading ``dags/`` in a DagBag next to a one-task DAG, each in a fresh interpreter
that has imported ``airflow.sdk`` first (as the dag-processor has); median of 5, the folders taking
turns so that a slow moment of the machine does not land on one of them.

Also measured: the *floor*, a folder of the same shape as ``dags/`` (two files; a seven-task DAG on a
cron data-interval timetable, and a two-task DAG) built from EmptyOperators
and nothing else. What our files cost above the floor is what the package costs; the floor itself
is Airflow's price for the shape.

And the *least* any implementation of the two DAGs needs: one file, the daily DAG's five tasks
(fetch, upsert, check, notify, within limits) on its cron timetable and a one-task manual DAG for
the backfill, in EmptyOperators, with no code of its own. What that costs over a one-task DAG is
what the parse target leaves nothing below.
"""

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
# Same shape as dags/: files, DAGs, tasks, edges, timetable; no package imports.
FLOOR_DAILY = """
from datetime import datetime
from airflow.sdk import DAG, CronDataIntervalTimetable
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("floor_daily", schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
         start_date=datetime(2026, 1, 1)):
    fetch, upsert, check = EmptyOperator(task_id="f"), EmptyOperator(task_id="u"), EmptyOperator(task_id="c")
    fetch >> upsert >> check >> [EmptyOperator(task_id="n"), EmptyOperator(task_id="w")]
    fetch >> EmptyOperator(task_id="l") >> [check, EmptyOperator(task_id="a")]
"""
FLOOR_BACKFILL = """
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("floor_backfill", schedule=None, start_date=datetime(2026, 1, 1)):
    EmptyOperator(task_id="l") >> EmptyOperator(task_id="e")
"""

LEAST = (
    FLOOR_DAILY
    + """
with DAG("least_backfill", schedule=None, start_date=datetime(2026, 1, 1)):
    EmptyOperator(task_id="load")
"""
)


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
        baseline, floor, least = Path(tmp) / "baseline", Path(tmp) / "floor", Path(tmp) / "least"
        for folder in (baseline, floor, least):
            folder.mkdir()
        (baseline / "one_task.py").write_text(ONE_TASK)
        (floor / "daily.py").write_text(FLOOR_DAILY)
        (floor / "backfill.py").write_text(FLOOR_BACKFILL)
        (least / "both.py").write_text(LEAST)
        folders = {"ours": ROOT / "dags", "daily": ROOT / "dags" / "storyblok_traffic.py"}
        folders |= {"base": baseline, "floor": floor, "floor_daily": floor / "daily.py", "least": least}
        for folder in folders.values():
            parse_seconds(folder, env)  # warm-up: writes the bytecode caches
        runs: dict[str, list[tuple[float, int, float]]] = {name: [] for name in folders}
        for _ in range(RUNS):
            for name, folder in folders.items():
                runs[name].append(parse_seconds(folder, env))
    ms = {name: statistics.median(t for t, _, _ in got) * 1000 for name, got in runs.items()}
    ours, base_ms = runs["ours"], ms["base"]
    report(
        {
            "dags": ours[0][1],
            "ours_ms": round(ms["ours"], 1),
            "one_task_ms": round(base_ms, 1),
            "ratio": round(ms["ours"] / base_ms, 2),
            "daily_dag_file_ms": round(ms["daily"], 1),
            "daily_dag_file_ratio": round(ms["daily"] / base_ms, 2),
            "floor_ms": round(ms["floor"], 1),
            "floor_ratio": round(ms["floor"] / base_ms, 2),
            "floor_daily_ms": round(ms["floor_daily"], 1),
            "floor_daily_ratio": round(ms["floor_daily"] / base_ms, 2),
            "least_ms": round(ms["least"], 1),
            "least_ratio": round(ms["least"] / base_ms, 2),
            "peak_rss_mb": round(max(m for _, _, m in ours), 1),
        }
    )


if __name__ == "__main__":
    main()
