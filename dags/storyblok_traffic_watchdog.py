"""The watchdog: every hour, tells every channel when an organisation's usage checks have stopped.

Runs apart from the daily DAGs it watches, so a paused or failing daily DAG, or a run that never
completes, is still noticed. One "monitor silent" notice per silence, one "monitor back" after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import DAG, CronTriggerTimetable

from storyblok_traffic.config import load_config
from storyblok_traffic.notifications.failure import PipelineFailureNotifier, record_failure
from storyblok_traffic.operators.watchdog import MonitorWatchdogOperator

DOC = """
### Watchdog for the Storyblok traffic monitor

**watch_checks** reads when each organisation's `check_usage` last completed (in `{schema}`); after
`silence_after_hours` without one, every channel gets one "monitor silent" notice, and one "monitor
back" once checks complete again. It also sends any notice left pending. Keep this DAG unpaused.
"""

_config = load_config()

with DAG(
    dag_id="storyblok_traffic_watchdog",
    schedule=CronTriggerTimetable("17 * * * *", timezone="UTC"),
    start_date=datetime.combine(_config.start_date, datetime.min.time(), tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["storyblok", "traffic", "watchdog"],
    doc_md=DOC.format(schema=_config.warehouse_schema),
    default_args={
        "owner": "data-platform",
        "retries": _config.retries,
        "retry_delay": timedelta(minutes=2),
        "on_failure_callback": record_failure,
    },
    on_failure_callback=PipelineFailureNotifier(channels=_config.channels),
) as dag:
    MonitorWatchdogOperator(task_id="watch_checks", config=_config, doc_md="Silent checks, told once per silence.")
