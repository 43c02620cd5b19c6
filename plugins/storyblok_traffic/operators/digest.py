"""The digest DAG's operator: a thin shell around ``storyblok_traffic.jobs.digest``."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from storyblok_traffic.config import MonitorConfig, OrgConfig


class WeeklyDigestOperator(BaseOperator):
    """Sends ``org``'s weekly digest to each of its digest channels that lacks it: the week of the ``week``
    param (``2026-W49``), or, blank, the newest week that ended before the run's logical date."""

    def __init__(self, *, org: OrgConfig, config: MonitorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.org, self.config = org, config

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from storyblok_traffic.jobs.digest import NothingStored, WeekNotBegun, send_digest
        from storyblok_traffic.rules.weeks import last_complete_week, parse_week

        asked = (context["params"] or {}).get("week")
        try:
            week = parse_week(asked) if asked else last_complete_week(context["logical_date"].date())
            done = send_digest(self.org, self.config, week)
        except (ValueError, NothingStored, WeekNotBegun) as err:  # a retry cannot change them: fail at once
            raise AirflowFailException(str(err)) from None
        return {"week": week.label, **done}
