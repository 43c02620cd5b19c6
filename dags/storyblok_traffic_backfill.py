"""Bulk history: load a range of days for one organisation in a few large requests, then evaluate it.

Triggered by hand (Trigger → with its form: start date, end date, organisation). Months are fetched
a request each and written in bulk; every day is then evaluated in order with alerts recorded as
suppressed, never sent. For a few recent days, the daily DAG's own backfill is the better path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import DAG, Param

from storyblok_traffic.config import load_config
from storyblok_traffic.notifications.failure import PipelineFailureNotifier, record_failure
from storyblok_traffic.operators.history import HistoryEvaluateOperator, HistoryLoadOperator

DOC = """
### Bulk history for a Storyblok organisation

**load_months** checks the form, then fetches each calendar month of the range in one request and
upserts it in one transaction (in the `{pool}` pool), or, with source `stored`, replays the answers
kept in `raw_responses` for it without calling the API; **evaluate_days** then checks every day in date
order and records the alerts it finds as `suppressed`: history never notifies.
The result is what the daily DAG would have stored for the same days.
"""

_config = load_config()
_orgs = {org.conn_id: org for org in _config.organisations}

with DAG(
    dag_id="storyblok_traffic_backfill",
    schedule=None,
    start_date=datetime.combine(_config.start_date, datetime.min.time(), tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["storyblok", "traffic", "backfill"],
    doc_md=DOC.format(pool=_config.pool),
    params={
        # Blank dates are resolved by `load_months` when the run starts: nothing here may depend on the clock.
        "start_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="First day (UTC)",
            description="Blank: the first of January of the last day's year.",
        ),
        "end_date": Param(
            None, type=["null", "string"], format="date", title="Last day (UTC)", description="Blank: yesterday."
        ),
        "source": Param(
            "api",
            type="string",
            enum=["api", "stored"],
            title="Source",
            description="api: ask Storyblok, a request per month. stored: replay the answers kept in "
            "raw_responses (after a parser fix, or into a fresh warehouse), with no API call.",
        ),
        "organisation": Param(
            next(iter(_orgs)), type="string", enum=list(_orgs), title="Organisation (its Storyblok connection)"
        ),
    },
    default_args={
        "owner": "data-platform",
        "retries": _config.retries,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "on_failure_callback": record_failure,  # keeps the error for the failure notice
    },
    on_failure_callback=PipelineFailureNotifier(channels=_config.channels),
) as dag:
    load_months = HistoryLoadOperator(
        task_id="load_months",
        orgs=_orgs,
        config=_config,
        pool=_config.pool,
        doc_md="Check the form, then fetch each month in one request and upsert it in one transaction.",
    )
    HistoryEvaluateOperator(
        task_id="evaluate_days",
        loaded=load_months.output,
        orgs=_orgs,
        config=_config,
        doc_md="Evaluate every day in order; alerts are recorded as suppressed.",
    )
