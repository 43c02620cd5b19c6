"""Airflow's own floor for a per-day backfill: the daily DAG's shape, on its timetable, doing nothing.

Seven tasks (fetch -> upsert and file load -> branch -> notify / within limits; the file load's leaf) that
each run through a worker as ours do, with no work of their own: what the scheduler, executor and task
runner cost per run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator
from airflow.sdk import DAG, CronDataIntervalTimetable


def nothing() -> None:
    return None


def within_limits() -> str:
    return "usage_within_limits"


with DAG(
    dag_id="backfill_floor",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2100, 1, 1, tzinfo=UTC),  # never scheduled: only the benchmark's backfill runs it
    catchup=False,
    max_active_runs=8,
):
    fetch_traffic = PythonOperator(task_id="fetch_traffic", python_callable=nothing)
    upsert_traffic = PythonOperator(task_id="upsert_traffic", python_callable=nothing)
    check_usage = BranchPythonOperator(task_id="check_usage", python_callable=within_limits, trigger_rule="all_done")
    load_assets = PythonOperator(task_id="load_assets", python_callable=nothing)
    assets_loaded = PythonOperator(task_id="assets_loaded", python_callable=nothing)
    send_notices = PythonOperator(task_id="send_notices", python_callable=nothing)
    usage_within_limits = PythonOperator(task_id="usage_within_limits", python_callable=nothing)
    fetch_traffic >> upsert_traffic >> check_usage >> [send_notices, usage_within_limits]
    fetch_traffic >> load_assets >> [check_usage, assets_loaded]
