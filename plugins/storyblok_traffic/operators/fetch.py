"""StoryblokTrafficOperator: fetch a run's days of org traffic, validate them, hand them on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from storyblok_traffic.lineage import Lineage, ReportsLineage, statistics
from storyblok_traffic.model import ALL_TRAFFIC

if TYPE_CHECKING:
    from storyblok_traffic.config import Warehouse
    from storyblok_traffic.hooks.storyblok import StoryblokHook
    from storyblok_traffic.model import DailyTraffic
from storyblok_traffic.xcom import FetchedTraffic

# A daily run covers [data_interval_start, data_interval_end): its days are start .. end - 1.
DEFAULT_START = "{{ data_interval_start | ds }}"
DEFAULT_END = "{{ macros.ds_add(data_interval_end | ds, -1) }}"


class FetchFailed(AirflowFailException):
    """A fetch that no retry can fix, with what the pipeline's incident needs: its cause
    (``rules.incidents``) and, for a rejected token, the token's fingerprint (never the token)."""

    def __init__(self, message: str, incident_cause: str, token_fingerprint: str | None = None) -> None:
        super().__init__(message)
        self.incident_cause = incident_cause
        self.token_fingerprint = token_fingerprint


class StoryblokTrafficOperator(ReportsLineage, BaseOperator):
    """Requests ``all_traffic`` with ``group_by=day`` for ``start_date``..``end_date`` (inclusive).

    Returns the validated body with its request as a small dict (the days of one run, never the
    token or headers). Errors that retrying cannot fix fail the task without retries.

    :param storyblok_conn_id: the ``storyblok`` connection.
    :param org: key of the organisation in the warehouse; defaults to the connection id.
    :param start_date_str: first day, YYYY-MM-DD; templated; defaults to the run's data interval.
    :param end_date_str: last day, YYYY-MM-DD; templated.
    :param refetch_days: also ask again for this many days before the first one, in the same
        request, so that counts and bytes Storyblok finalised late replace what was stored.
    :param max_gap_days: also ask, in the same request, for every day since the newest day stored
        complete (counts and bytes) before those, at most this many days before the last: the days
        missed while Airflow was down. 0 turns it off; it needs ``warehouse``.
    :param warehouse: where the stored days are read, and where an invalid answer is kept for
        diagnosis in ``rejected_responses``; None reads and keeps nothing.
    """

    template_fields: Sequence[str] = ("storyblok_conn_id", "org", "start_date_str", "end_date_str")
    ui_color = "#09b3af"

    def __init__(
        self,
        *,
        storyblok_conn_id: str = "storyblok_default",
        org: str | None = None,
        start_date_str: str = DEFAULT_START,
        end_date_str: str = DEFAULT_END,
        refetch_days: int = 0,
        max_gap_days: int = 0,
        warehouse: Warehouse | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (("refetch_days", refetch_days), ("max_gap_days", max_gap_days)):
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}")
        self.refetch_days = refetch_days
        self.max_gap_days = max_gap_days
        self.warehouse = warehouse
        self.storyblok_conn_id = storyblok_conn_id
        self.org = org or storyblok_conn_id
        self.start_date_str = start_date_str
        self.end_date_str = end_date_str

    @cached_property
    def hook(self) -> StoryblokHook:
        from storyblok_traffic.hooks.storyblok import StoryblokHook

        return StoryblokHook(self.storyblok_conn_id)

    def lineage(self, task_instance: Any = None) -> Lineage:
        """It reads the organisation's statistics; what it fetched goes to XCom, for upsert_traffic."""
        return Lineage(inputs=statistics([(self.storyblok_conn_id, self.org)], ALL_TRAFFIC))

    def execute(self, context: Any) -> dict[str, Any]:
        first, last = requested_days(self.start_date_str, self.end_date_str)
        self._refuse_a_rejected_token(context)
        first = self._reach_back(first - timedelta(days=self.refetch_days), last)
        fetched, daily = fetch_or_fail(self.hook, self.org, first, last, self.warehouse)
        self.log.info(
            "Fetched %d org day(s) and %d space day(s) for %s, %s..%s",
            len(daily.org_days),
            len(daily.space_days),
            self.org,
            first,
            last,
        )
        return fetched.to_xcom()

    def _refuse_a_rejected_token(self, context: Any) -> None:
        """Fail at once, without a request, while the incident of this very token's rejection is fresh:
        the remaining runs of a catch-up would only be refused again. A changed token is tried, and so
        is a run cleared by hand or one after ``FAIL_FAST_MINUTES`` (the monitor never stops asking)."""
        cleared_by_hand = int(getattr(context.get("dag_run"), "clear_number", 0) or 0) > 0
        if self.warehouse is None or cleared_by_hand:
            return
        from storyblok_traffic.rules.incidents import FAIL_FAST_MINUTES, TOKEN_REJECTED, fails_fast, summary
        from storyblok_traffic.warehouse.engine import warehouse_transaction
        from storyblok_traffic.warehouse.incidents import rejected_token

        with warehouse_transaction(self.warehouse) as conn:
            incident = rejected_token(conn, self.org)
        fingerprint = self.hook.settings.fingerprint
        if incident is not None and fails_fast(incident, fingerprint, datetime.now(UTC)):
            retry = incident.opened_at + timedelta(minutes=FAIL_FAST_MINUTES)
            raise FetchFailed(
                f"not asking Storyblok: it rejected this Access token in run {incident.first_run} at "
                f"{incident.opened_at:%Y-%m-%d %H:%M} UTC ({summary(incident)}). Fix the connection's Access "
                f"token, then clear this run; runs from {retry:%H:%M} UTC ask again.",
                TOKEN_REJECTED,
                fingerprint,
            )

    def _reach_back(self, first: date, last: date) -> date:
        """``first``, or the first day missing or incomplete before it, at most max_gap_days before ``last``."""
        if not self.max_gap_days or self.warehouse is None:
            return first
        from storyblok_traffic.warehouse.engine import warehouse_transaction
        from storyblok_traffic.warehouse.reads import first_incomplete_day

        with warehouse_transaction(self.warehouse) as conn:
            gap_start = first_incomplete_day(conn, self.org, before=first)
        if gap_start is None:  # nothing stored yet: history is the bulk DAG's job
            return first
        limit = last - timedelta(days=self.max_gap_days)
        if gap_start < limit:
            self.log.warning(
                "Days %s..%s of %s are missing and more than max_gap_days (%d) back: trigger "
                "storyblok_traffic_backfill for them",
                gap_start,
                limit - timedelta(days=1),
                self.org,
                self.max_gap_days,
            )
        healed = max(gap_start, limit)
        if healed < first:
            self.log.info("Days %s..%s of %s are missing or incomplete: asking for them too", healed, first, self.org)
        return min(first, healed)


def fetch_or_fail(
    hook: StoryblokHook, org: str, first: date, last: date, keep_in: Warehouse | None = None
) -> tuple[FetchedTraffic, DailyTraffic]:
    """One ``group_by=day`` request for ``first``..``last``, validated; permanent problems fail the task.

    An answer that fails validation is kept in ``rejected_responses`` when ``keep_in`` names the
    warehouse.
    """
    from storyblok_traffic import fetching
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.rejects import quarantine

    with failing_for_good(hook):
        keeper = quarantine(lambda: warehouse_transaction(keep_in), keep_in.schema) if keep_in else None
        return fetching.fetch_days(hook.client, org, first, last, keeper)


@contextmanager
def failing_for_good(hook: StoryblokHook) -> Iterator[None]:
    """A Storyblok error that retrying cannot fix fails the task without retries, with its incident cause
    (a rejected token with the token's fingerprint: the same token then fails fast a while)."""
    from storyblok_traffic.errors import RETRY_CANNOT_FIX
    from storyblok_traffic.notifications.failure import cause_of
    from storyblok_traffic.rules.incidents import TOKEN_REJECTED

    try:
        yield
    except RETRY_CANNOT_FIX as err:
        cause = cause_of(err)
        raise FetchFailed(str(err), cause, hook.settings.fingerprint if cause == TOKEN_REJECTED else None) from None


def requested_days(start: str, end: str, today: date | None = None) -> tuple[date, date]:
    """Parse and check the day range before any request is made."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as err:
        raise AirflowFailException(f"start/end date must be YYYY-MM-DD: {err}") from None
    today = today or datetime.now(UTC).date()
    if last < first:
        raise AirflowFailException(f"end date {last} is before start date {first}")
    if last > today:
        raise AirflowFailException(f"end date {last} is in the future (today is {today} UTC)")
    return first, last
