"""Storyblok traffic in Airflow: the watchdog DAG, telling every channel when usage checks stop."""

from storyblok_traffic.dags import watchdog_dag

dag = watchdog_dag()
