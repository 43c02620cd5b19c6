"""Storyblok API traffic monitor for Airflow 3: hook, operator, warehouse, usage rules, notifiers."""

__version__ = "0.1.0"
