"""Storyblok API traffic monitor for Airflow 3: hook, operators, warehouse, usage rules, notifications."""

__version__ = "0.1.0"
