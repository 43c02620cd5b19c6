"""Storyblok traffic in Airflow: one weekly digest DAG per organisation (its usage, by email or chat)."""

from storyblok_traffic.dags import digest_dags

globals().update(digest_dags())
