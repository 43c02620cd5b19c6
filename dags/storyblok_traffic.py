"""Storyblok API traffic: fetch -> upsert -> check usage -> notify, or within limits.

One DAG per organisation in the monitor configuration (``STORYBLOK_TRAFFIC_CONFIG``); by default
``storyblok_traffic`` for the ``storyblok_default`` connection. The work lives in the
``storyblok_traffic`` package; heavy imports happen inside the tasks, not at parse time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable

from storyblok_traffic.config import MonitorConfig, OrgConfig, load_config
from storyblok_traffic.notifications.failure import PipelineFailureNotifier, record_failure
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
from storyblok_traffic.operators.pipeline import (
    NOTIFY_TASK,
    WITHIN_LIMITS_TASK,
    TrafficUpsertOperator,
    UsageCheckOperator,
    UsageNotifyOperator,
)

DOC = """
### Storyblok API traffic for `{org}`

Each run covers one UTC day (its data interval): **fetch_traffic** asks Storyblok's Management API
for the day's traffic, and again for the {refetch} days before it (late bytes) and for any day missed
since the newest complete one (at most {max_gap} days back), in one request; **upsert_traffic**
writes it to `{schema}` in `{warehouse}`;
**check_usage** compares the usage of the contract year ({yearly} %) and month ({monthly} %) with the
limits in force (metric `{metric}`), forecasts the period end ({forecast} %) and looks for missing
data; **notify_threshold_crossed** then tells {channels} once per crossing, or **usage_within_limits**
ends the run quietly. Days older than {lookback} days record alerts without sending them.

History: trigger **storyblok_traffic_backfill** (a month per request, quiet). A few days through this DAG, in
parallel and in any order (each check evaluates the days out of date in date order):
`airflow backfill create --dag-id {dag_id} --from-date 2026-11-01 --to-date 2026-11-07 --max-active-runs 8`.
"""


def traffic_dag(org: OrgConfig, config: MonitorConfig) -> DAG:
    with DAG(
        dag_id=org.dag_id,
        schedule=CronDataIntervalTimetable(config.schedule, timezone="UTC"),
        start_date=datetime.combine(config.start_date, datetime.min.time(), tzinfo=UTC),
        catchup=config.catchup,
        max_active_runs=8,
        tags=["storyblok", "traffic", "usage"],
        doc_md=DOC.format(
            org=org.org,
            dag_id=org.dag_id,
            schema=config.warehouse_schema,
            warehouse=config.warehouse_conn_id,
            yearly=_pcts(org.yearly_thresholds),
            monthly=_pcts(org.monthly_thresholds),
            forecast=_pcts(org.forecast_thresholds),
            metric=org.metric,
            channels=", ".join(f"`{c.name}`" for c in config.channels_for(org)) or "no channel",
            lookback=org.alert_lookback_days,
            refetch=org.refetch_days,
            max_gap=org.max_gap_days,
        ),
        default_args={
            "owner": "data-platform",
            "retries": config.retries,
            "retry_delay": timedelta(seconds=30),
            "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=15),
            "on_failure_callback": record_failure,  # keeps the error for the failure notice
        },
        on_failure_callback=PipelineFailureNotifier(channels=config.channels_for(org)),
    ) as dag:
        fetch_traffic = StoryblokTrafficOperator(
            task_id="fetch_traffic",
            storyblok_conn_id=org.conn_id,
            org=org.org,
            refetch_days=org.refetch_days,
            max_gap_days=org.max_gap_days,
            warehouse=config.warehouse,
            pool=config.pool,
            doc_md="Fetch the run's day (and the days to refetch) from `GET /v1/orgs/me/statistics/all_traffic`.",
        )

        upsert_traffic = TrafficUpsertOperator(
            task_id="upsert_traffic",
            fetched=fetch_traffic.output,
            config=config,
            # Name only: an Asset URI makes parsing load every provider's URI handlers (about 40 ms).
            outlets=[Asset(name=f"storyblok_traffic_{org.org}")],
            doc_md="Upsert the org's and spaces' day rows, the usage snapshot and the raw response.",
        )
        # No depends_on_past: the check itself evaluates every day out of date in date order, so runs
        # may finish in any order and none waits for another.
        check_usage = UsageCheckOperator(
            task_id="check_usage",
            upserted=upsert_traffic.output,
            org=org,
            config=config,
            doc_md="Usage per period against the limits in force, forecast and data freshness; records alerts.",
        )
        notify_threshold_crossed = UsageNotifyOperator(
            task_id=NOTIFY_TASK,
            org=org,
            config=config,
            doc_md="Send due notices to each channel that lacks them.",
        )
        usage_within_limits = EmptyOperator(task_id=WITHIN_LIMITS_TASK, doc_md="No new notice is due.")

        fetch_traffic >> upsert_traffic >> check_usage >> [notify_threshold_crossed, usage_within_limits]
    return dag


def _pcts(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values) or "off"


_config = load_config()
for _org in _config.organisations:
    globals()[_org.dag_id] = traffic_dag(_org, _config)
