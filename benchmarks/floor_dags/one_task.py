"""The price of ``airflow dags test`` itself: one task that does nothing, measured beside the bulk run."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def nothing() -> None:
    return None


with DAG(dag_id="one_task", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC), catchup=False):
    PythonOperator(task_id="nothing", python_callable=nothing)
