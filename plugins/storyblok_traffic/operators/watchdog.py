"""The watchdog DAG's operator: a thin shell around ``storyblok_traffic.jobs.watchdog.watch_checks``."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from storyblok_traffic.config import MonitorConfig


class MonitorWatchdogOperator(BaseOperator):
    """Tells every channel when an organisation's daily checks have stopped, and when they resume."""

    def __init__(self, *, config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config

    def execute(self, context: Any) -> dict[str, bool]:
        from storyblok_traffic.jobs.watchdog import watch_checks

        return watch_checks(self.config)
