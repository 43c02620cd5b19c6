"""Storyblok API traffic: fetch -> upsert -> check usage -> notify, or within limits.

One DAG per organisation in the monitor configuration (``STORYBLOK_TRAFFIC_CONFIG``); by default
``storyblok_traffic`` for the ``storyblok_default`` connection. The work lives in the
``storyblok_traffic`` package; heavy imports happen inside the tasks, not at parse time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, get_current_context, task

from storyblok_traffic.config import MonitorConfig, OrgConfig, load_config
from storyblok_traffic.notifiers import FAILURE_TEXT, WebhookNotifier
from storyblok_traffic.operator import StoryblokTrafficOperator

DOC = """
### Storyblok API traffic for `{org}`

Each run covers one UTC day (its data interval): **fetch_traffic** asks Storyblok's Management API
for the day's traffic, **upsert_traffic** writes it to `{schema}` in `{warehouse}`,
**check_usage** sums the year to date from the warehouse and compares it with the yearly limit
({thresholds} %, metric `{metric}`), then **notify_threshold_crossed** posts to `{alerts}` once per
threshold and year, or **usage_within_limits** ends the run quietly.

Backfill history (checks run in date order, hence the reprocess flag):
`airflow backfill create --dag-id {dag_id} --from-date 2026-01-01 --to-date 2026-01-31 --reprocess-behavior failed`.
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
            thresholds=", ".join(f"{t:g}" for t in org.yearly_thresholds),
            metric=org.metric,
            alerts=config.alerts_conn_id,
        ),
        default_args={
            "owner": "data-platform",
            "retries": config.retries,
            "retry_delay": timedelta(seconds=30),
            "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=15),
        },
        on_failure_callback=WebhookNotifier(text=FAILURE_TEXT, webhook_conn_id=config.alerts_conn_id),
    ) as dag:
        fetched = StoryblokTrafficOperator(
            task_id="fetch_traffic",
            storyblok_conn_id=org.conn_id,
            org=org.org,
            pool=config.pool,
            doc_md="Fetch the run's day from `GET /v1/orgs/me/statistics/all_traffic?group_by=day`.",
        )

        @task(
            task_id="upsert_traffic",
            outlets=[Asset(name=f"storyblok_traffic_{org.org}", uri=f"storyblok://{org.org}/traffic")],
            doc_md="Upsert the org's and spaces' day rows, the usage snapshot and the raw response.",
        )
        def upsert_traffic(fetched_xcom: dict[str, Any]) -> dict[str, Any]:
            from storyblok_traffic import tasks

            return tasks.upsert_traffic(fetched_xcom, config)

        # depends_on_past keeps checks in date order, so a parallel backfill never judges a day
        # before the days ahead of it are stored.
        @task.branch(
            task_id="check_usage",
            depends_on_past=True,
            doc_md="Year-to-date usage against the yearly limit; records newly crossed thresholds.",
        )
        def check_usage(upserted: dict[str, Any]) -> str:
            from storyblok_traffic import tasks

            summary = tasks.check_usage(date.fromisoformat(upserted["end_date"]), org, config)
            get_current_context()["ti"].xcom_push(key="usage_summary", value=summary.to_xcom())
            return tasks.branch_for(summary)

        @task(task_id="notify_threshold_crossed", doc_md="Post the crossed thresholds to the webhook, once.")
        def notify_threshold_crossed() -> int:
            from storyblok_traffic import tasks

            context = get_current_context()
            summary = context["ti"].xcom_pull(task_ids="check_usage", key="usage_summary")
            return tasks.notify_threshold_crossed(summary, org, config, context)

        within_limits = EmptyOperator(task_id="usage_within_limits", doc_md="No new threshold crossed.")

        check_usage(upsert_traffic(fetched.output)) >> [notify_threshold_crossed(), within_limits]
    return dag


_config = load_config()
for _org in _config.organisations:
    globals()[_org.dag_id] = traffic_dag(_org, _config)
