"""The daily pipeline's own operators: thin shells around ``storyblok_traffic.jobs.daily``.

Plain operators rather than ``@task`` functions keep DAG parsing cheap (the TaskFlow machinery
costs more to import than everything else in the DAG files together); the work is imported only
when a task runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, TriggerRule
from airflow.sdk.bases.branch import BaseBranchOperator

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.lineage import (
    CHECK_READS,
    CHECK_WRITES,
    DAYS_WRITTEN,
    NOTIFY_READS,
    NOTIFY_WRITES,
    Lineage,
    ReportsLineage,
    statistics,
    tables,
)
from storyblok_traffic.model import ALL_TRAFFIC

if TYPE_CHECKING:
    from storyblok_traffic.evaluation.result import Evaluation

# The two branches of check_usage: the DAG names its tasks with these, the check returns one of them.
NOTIFY_TASK = "send_notices"
WITHIN_LIMITS_TASK = "usage_within_limits"
# Airflow has no trigger rule per upstream: the check waits for the upsert and the file load to be done,
# and skips itself when the upsert did not succeed (its XCom is missing), so a failed file load alone
# does not stop the request meter's check.
CHECK_AFTER_ASSETS = TriggerRule.ALL_DONE


def branch_for(evaluation: Evaluation) -> str:
    """The branch a check leads to: the notification when a notice is due."""
    return NOTIFY_TASK if evaluation.pending_notices else WITHIN_LIMITS_TASK


class TrafficUpsertOperator(ReportsLineage, BaseOperator):
    """Writes a fetch (the XCom of ``fetch_traffic``) to the warehouse in one transaction."""

    template_fields: Sequence[str] = ("fetched",)

    def __init__(self, *, fetched: Any, config: MonitorConfig, org: OrgConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fetched = fetched
        self.config = config
        self.org = org  # for its lineage: the fetch it writes is this organisation's

    def lineage(self, task_instance: Any = None) -> Lineage:
        found = [] if self.org is None else [(self.org.conn_id, self.org.org)]
        return Lineage(statistics(found, ALL_TRAFFIC), tables(self.config.warehouse, DAYS_WRITTEN))

    def execute(self, context: Any) -> dict[str, Any]:
        from storyblok_traffic.jobs import daily

        upserted = daily.upsert_traffic(self.fetched, self.config)
        figures = daily.outlet_extra(upserted, self.config)
        for outlet in self.outlets:  # Airflow's Assets view shows them on the event
            context["outlet_events"][outlet].extra = figures
        return upserted.to_xcom()


class UsageCheckOperator(ReportsLineage, BaseBranchOperator):
    """Checks usage as of the upserted day; branches to the notification when a notice is due.

    The evaluation's summary is pushed as XCom ``usage_summary``.
    """

    template_fields: Sequence[str] = ("upserted",)

    def __init__(self, *, upserted: Any, org: OrgConfig, config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.upserted = upserted
        self.org = org
        self.config = config

    def lineage(self, task_instance: Any = None) -> Lineage:
        return Lineage(tables(self.config.warehouse, CHECK_READS), tables(self.config.warehouse, CHECK_WRITES))

    def choose_branch(self, context: Any) -> str:
        from storyblok_traffic.jobs import daily
        from storyblok_traffic.xcom import Upserted

        if self.upserted is None:  # upsert_traffic failed or was not run: nothing new to check
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("upsert_traffic did not succeed: no day to check")
        upserted = Upserted.from_xcom(self.upserted)
        evaluation = daily.check_usage(upserted.end_date, self.org, self.config, fetched_day=upserted.fetched_day)
        context["ti"].xcom_push(key="usage_summary", value=evaluation.to_xcom())
        return branch_for(evaluation)


class UsageNotifyOperator(ReportsLineage, BaseOperator):
    """Sends the organisation's due notices to every channel that lacks them."""

    def __init__(self, *, org: OrgConfig, config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.org = org
        self.config = config

    def lineage(self, task_instance: Any = None) -> Lineage:
        return Lineage(tables(self.config.warehouse, NOTIFY_READS), tables(self.config.warehouse, NOTIFY_WRITES))

    def execute(self, context: Any) -> dict[str, list[str]]:
        from storyblok_traffic.jobs import daily

        return daily.notify_due(self.org, self.config)
