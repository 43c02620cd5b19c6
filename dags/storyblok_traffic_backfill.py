"""Storyblok traffic in Airflow: the backfill DAG, triggered by hand (a month per request, quiet)."""

from storyblok_traffic.dags import backfill_dag

dag = backfill_dag()
