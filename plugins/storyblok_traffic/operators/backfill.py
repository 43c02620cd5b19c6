"""The backfill DAG's operators: thin shells around ``storyblok_traffic.jobs.backfill``.

Kept apart from the daily pipeline's operators so that each DAG file builds only the classes it uses;
the work is imported only when a task runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from airflow.sdk import BaseOperator

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.lineage import (
    CHECK_READS,
    CHECK_WRITES,
    DAYS_WRITTEN,
    FILES_WRITTEN,
    Lineage,
    ReportsLineage,
    statistics,
    tables,
)
from storyblok_traffic.model import ALL_TRAFFIC, ASSETS_TRAFFIC


class BackfillLoadOperator(ReportsLineage, BaseOperator):
    """Checks the backfill form, then loads its range a month per request and per transaction.

    Bad input fails at once (no retries), before any request. So do answers that retrying cannot
    fix (rejected, invalid); an unavailable API is retried with the task.
    """

    def __init__(self, *, orgs: dict[str, OrgConfig], config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.orgs = orgs
        self.config = config

    def lineage(self, task_instance: Any = None) -> Lineage:
        found = [(o.conn_id, o.org) for o in _run_orgs(self.orgs, task_instance)]
        return Lineage(statistics(found, ALL_TRAFFIC), tables(self.config.warehouse, DAYS_WRITTEN))

    def execute(self, context: Any) -> dict[str, Any]:
        from storyblok_traffic.jobs import backfill

        params = context["params"]
        source = backfill.checked_source(params.get("source"))
        days = backfill.checked_range(params.get("start_date"), params.get("end_date"))
        with _failing_at_once():
            return backfill.load_range(days, self.orgs[params["organisation"]], self.config, source)


@contextmanager
def _failing_at_once() -> Iterator[None]:
    """Answers that retrying cannot fix (rejected, an unusable connection, invalid) fail the task without
    retries; an unavailable API is retried with the task."""
    from airflow.sdk.exceptions import AirflowFailException

    from storyblok_traffic.errors import RETRY_CANNOT_FIX

    try:
        yield
    except RETRY_CANNOT_FIX as err:
        raise AirflowFailException(str(err)) from None


def _run_orgs(orgs: dict[str, OrgConfig], task_instance: Any) -> list[OrgConfig]:
    """The organisation the run's form chose (every one when the run is not known)."""
    try:
        return [orgs[task_instance.get_template_context()["params"]["organisation"]]]
    except (AttributeError, KeyError, TypeError):
        return list(orgs.values())


class _AfterTheMonths(ReportsLineage, BaseOperator):
    """A task of the range the months' load resolved (its XCom, ``loaded``), for the run's organisation."""

    template_fields: Sequence[str] = ("loaded",)

    def __init__(self, *, loaded: Any, orgs: dict[str, OrgConfig], config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.orgs = orgs
        self.config = config


class BackfillEvaluateOperator(_AfterTheMonths):
    """Evaluates every loaded day in date order; alerts are recorded as suppressed."""

    def lineage(self, task_instance: Any = None) -> Lineage:
        return Lineage(tables(self.config.warehouse, CHECK_READS), tables(self.config.warehouse, CHECK_WRITES))

    def execute(self, context: Any) -> dict[str, Any]:
        from storyblok_traffic.jobs import backfill
        from storyblok_traffic.xcom import Range

        days = Range.from_xcom(self.loaded)
        return backfill.evaluate_range(days, self.orgs[context["params"]["organisation"]], self.config)


class BackfillAssetsOperator(_AfterTheMonths):
    """Loads the files' bytes of every day the months' load covered, a request per day at the rate limit.

    Permanent errors fail it at once, like the months' load; it runs beside the evaluation.
    """

    def lineage(self, task_instance: Any = None) -> Lineage:
        found = [(o.conn_id, o.org) for o in _run_orgs(self.orgs, task_instance)]
        return Lineage(statistics(found, ASSETS_TRAFFIC), tables(self.config.warehouse, FILES_WRITTEN))

    def execute(self, context: Any) -> dict[str, Any]:
        from storyblok_traffic.jobs import backfill
        from storyblok_traffic.xcom import Range

        params = context["params"]
        days = Range.from_xcom(self.loaded)
        with _failing_at_once():
            return backfill.load_asset_range(days, self.orgs[params["organisation"]], self.config, params.get("source"))
