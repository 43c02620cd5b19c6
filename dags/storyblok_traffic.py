"""Storyblok API traffic in Airflow: one daily DAG per organisation of the monitor configuration
(``STORYBLOK_TRAFFIC_CONFIG``; by default ``storyblok_traffic`` for the ``storyblok_default`` connection)."""

from storyblok_traffic.dags import daily_dags

globals().update(daily_dags())
