"""StoryblokAssetTrafficOperator: load a run's days of the bytes each Storyblok file served."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.lineage import FILES_WRITTEN, Lineage, ReportsLineage, statistics, tables
from storyblok_traffic.model import ASSETS_TRAFFIC
from storyblok_traffic.operators.fetch import DEFAULT_END


class StoryblokAssetTrafficOperator(ReportsLineage, BaseOperator):
    """Asks ``assets_traffic`` for the run's day, the days to refetch and the days missed, one request per
    day, and writes each day in a transaction of its own (a day of 50,000 files never crosses XCom).

    Returns the days loaded and the rows written. Errors that retrying cannot fix fail the task
    without retries. The daily DAG's check does not wait on its success: it runs, and says which
    days' files are not stored.

    :param day_str: the run's last day, YYYY-MM-DD; templated; defaults to the run's data interval.
    """

    template_fields: Sequence[str] = ("day_str",)
    ui_color = "#09b3af"

    def __init__(self, *, org: OrgConfig, config: MonitorConfig, day_str: str = DEFAULT_END, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.org = org
        self.config = config
        self.day_str = day_str

    def lineage(self, task_instance: Any = None) -> Lineage:
        return Lineage(
            inputs=statistics([(self.org.conn_id, self.org.org)], ASSETS_TRAFFIC),
            outputs=tables(self.config.warehouse, FILES_WRITTEN),
        )

    def execute(self, context: Any) -> dict[str, Any]:
        from storyblok_traffic.hooks.storyblok import StoryblokHook
        from storyblok_traffic.jobs import daily
        from storyblok_traffic.operators.fetch import failing_for_good, requested_days

        _, day = requested_days(self.day_str, self.day_str)
        hook = StoryblokHook(self.org.conn_id)
        with failing_for_good(hook):
            return daily.load_assets(hook.client, day, self.org, self.config)
