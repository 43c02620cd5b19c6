"""The bulk history DAG's operators: thin shells around ``storyblok_traffic.history``.

Kept apart from the daily pipeline's operators so that each DAG file builds only the classes it uses;
the work is imported only when a task runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from storyblok_traffic.config import MonitorConfig, OrgConfig


class HistoryPlanOperator(BaseOperator):
    """Checks the bulk history form and cuts its range into calendar months."""

    def execute(self, context: Any) -> list[dict[str, str]]:
        from storyblok_traffic import history

        params = context["params"]
        history.checked_source(params.get("source"))
        days = history.checked_range(params.get("start_date"), params.get("end_date"))
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

        params = context["params"]
        org = self.orgs[params["organisation"]]
        return history.load_chunk(history.Range.from_xcom(self.chunk), org, self.config, params.get("source", "api"))


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
