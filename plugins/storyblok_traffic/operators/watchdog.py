"""The watchdog DAG's operators: thin shells around ``storyblok_traffic.jobs.watchdog``."""

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
        from storyblok_traffic.jobs.watchdog import remember_channels, watch_checks

        silent = watch_checks(self.config)
        remember_channels(self.config)  # for a run on a configuration that does not load
        return silent


class UnusableConfigurationOperator(BaseOperator):
    """The watchdog while the configuration does not load: tells the last known channels once, then
    fails every run, so that the monitor never goes quiet by itself."""

    def __init__(self, *, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def execute(self, context: Any) -> None:
        from storyblok_traffic.jobs.watchdog import tell_unusable_configuration

        tell_unusable_configuration(self.error)
