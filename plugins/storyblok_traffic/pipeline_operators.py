"""The pipeline's own operators: thin shells around ``storyblok_traffic.tasks`` and ``.history``.

Plain operators rather than ``@task`` functions keep DAG parsing cheap (the TaskFlow machinery
costs more to import than everything else in the DAG files together); the work is imported only
when a task runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.bases.branch import BaseBranchOperator

from storyblok_traffic.config import MonitorConfig, OrgConfig


class TrafficUpsertOperator(BaseOperator):
    """Writes a fetch (the XCom of ``fetch_traffic``) to the warehouse in one transaction."""

    template_fields: Sequence[str] = ("fetched",)

    def __init__(self, *, fetched: Any, config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fetched = fetched
        self.config = config

    def execute(self, context: Any) -> dict[str, Any]:
        from storyblok_traffic import tasks

        return tasks.upsert_traffic(self.fetched, self.config)


class UsageCheckOperator(BaseBranchOperator):
    """Checks usage as of the upserted day; branches to the notification when a notice is due.

    The evaluation's summary is pushed as XCom ``usage_summary``.
    """

    template_fields: Sequence[str] = ("upserted",)

    def __init__(self, *, upserted: Any, org: OrgConfig, config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.upserted = upserted
        self.org = org
        self.config = config

    def choose_branch(self, context: Any) -> str:
        from datetime import date

        from storyblok_traffic import tasks

        day = date.fromisoformat(self.upserted["end_date"])
        evaluation = tasks.check_usage(day, self.org, self.config, fetched_day=self.upserted["end_day_received"])
        context["ti"].xcom_push(key="usage_summary", value=evaluation.to_xcom())
        return tasks.branch_for(evaluation)


class UsageNotifyOperator(BaseOperator):
    """Sends the organisation's due notices to every channel that lacks them."""

    def __init__(self, *, org: OrgConfig, config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.org = org
        self.config = config

    def execute(self, context: Any) -> dict[str, list[str]]:
        from storyblok_traffic import tasks

        return tasks.notify_due(self.org, self.config)


class HistoryPlanOperator(BaseOperator):
    """Checks the bulk history form and cuts its range into calendar months."""

    def execute(self, context: Any) -> list[dict[str, str]]:
        from storyblok_traffic import history

        params = context["params"]
        days = history.checked_range(params["start_date"], params["end_date"])
        return [chunk.to_xcom() for chunk in history.month_chunks(days)]


class HistoryLoadOperator(BaseOperator):
    """Fetches one month in one request and upserts it in one transaction."""

    def __init__(self, *, chunk: dict[str, str], orgs: dict[str, OrgConfig], config: MonitorConfig, **kwargs: Any):
        super().__init__(**kwargs)
        self.chunk = chunk
        self.orgs = orgs
        self.config = config

    def execute(self, context: Any) -> dict[str, Any]:
        from storyblok_traffic import history

        org = self.orgs[context["params"]["organisation"]]
        return history.load_chunk(history.Range.from_xcom(self.chunk), org, self.config)


class HistoryEvaluateOperator(BaseOperator):
    """Evaluates every loaded day in date order; alerts are recorded as suppressed."""

    template_fields: Sequence[str] = ("loaded",)

    def __init__(self, *, loaded: Any, orgs: dict[str, OrgConfig], config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.orgs = orgs
        self.config = config

    def execute(self, context: Any) -> dict[str, Any]:
        from datetime import date

        from storyblok_traffic import history

        loaded = list(self.loaded)
        days = history.Range(date.fromisoformat(loaded[0]["first"]), date.fromisoformat(loaded[-1]["last"]))
        return history.evaluate_range(days, self.orgs[context["params"]["organisation"]], self.config)
