"""The package's DAGs, built from the monitor configuration: a user's DAG file calls one of these.

``daily_dags()`` gives one daily DAG per organisation (``storyblok_traffic`` by default), ``digest_dags()``
one weekly digest DAG per organisation (``storyblok_traffic_digest``),
``backfill_dag()`` the backfill DAG, ``watchdog_dag()`` the watchdog; ``all_dags()`` all of
them by DAG id. A DAG file of a user's Airflow is then three lines (Airflow's safe mode parses a
file only when it says "airflow" and "dag", hence the comment)::

    # Storyblok traffic monitor: its Airflow DAGs.
    from storyblok_traffic.dags import all_dags
    globals().update(all_dags())

Each reads ``STORYBLOK_TRAFFIC_CONFIG`` (or takes a ``MonitorConfig``) and does nothing that
depends on the clock, a connection or the warehouse: it runs at every parse.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, CronTriggerTimetable, Param, TriggerRule

from storyblok_traffic.config import ConfigError, MonitorConfig, OrgConfig, load_config
from storyblok_traffic.notifications.failure import PipelineFailureNotifier, record_failure
from storyblok_traffic.operators.asset_days import StoryblokAssetTrafficOperator
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
from storyblok_traffic.operators.pipeline import (
    CHECK_AFTER_ASSETS,
    NOTIFY_TASK,
    WITHIN_LIMITS_TASK,
    TrafficUpsertOperator,
    UsageCheckOperator,
    UsageNotifyOperator,
)
from storyblok_traffic.rules.incidents import WATCHDOG_SCOPE

BACKFILL_DAG_ID = "storyblok_traffic_backfill"
WATCHDOG_DAG_ID = "storyblok_traffic_watchdog"


def all_dags(config: MonitorConfig | None = None) -> dict[str, DAG]:
    """Every DAG of the configuration, by DAG id: the daily ones, the weekly digests, the backfill and
    the watchdog."""
    config = config or load_config()
    dags = daily_dags(config) | digest_dags(config)
    for dag in (backfill_dag(config), watchdog_dag(config)):
        dags[dag.dag_id] = dag
    return dags


def daily_dags(config: MonitorConfig | None = None) -> dict[str, DAG]:
    """One daily DAG per organisation, by DAG id."""
    config = config or load_config()
    return {org.dag_id: traffic_dag(org, config) for org in config.organisations}


DAILY_DOC = """
### Storyblok API traffic for `{org}`

Each run covers one UTC day (its data interval): **fetch_traffic** asks Storyblok's Management API
for the day's traffic, and again for the {refetch} days before it (late bytes) and for any day missed
since the newest complete one (at most {max_gap} days back), in one request; **upsert_traffic**
writes it to `{schema}` in `{warehouse}`{assets};
**check_usage** compares the usage of the contract year ({yearly}%) and month ({monthly}%) with the
limits in force (`limit_meter: {limit_meter}`), forecasts the period end ({forecast}%) and looks for missing
data; **send_notices** then tells {channels} once per notice, or **usage_within_limits**
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
        doc_md=DAILY_DOC.format(
            org=org.org,
            dag_id=org.dag_id,
            schema=config.warehouse_schema,
            warehouse=config.warehouse_conn_id,
            yearly=_pcts(org.yearly_thresholds),
            monthly=_pcts(org.monthly_thresholds),
            forecast=_pcts(org.forecast_thresholds),
            limit_meter=org.limit_meter,
            channels=", ".join(f"`{c.name}`" for c in config.channels_for(org)) or "no channel",
            lookback=org.alert_lookback_days,
            refetch=org.refetch_days,
            max_gap=org.max_gap_days,
            assets=", and **load_assets** the bytes each file served on those days (a request per day)"
            if org.asset_traffic
            else "",
        ),
        default_args=_default_args(
            config, timedelta(seconds=30), retry_exponential_backoff=True, max_retry_delay=timedelta(minutes=15)
        ),
        on_failure_callback=PipelineFailureNotifier(
            channels=config.channels_for(org), warehouse=config.warehouse, org=org.org
        ),
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
            org=org,
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
            trigger_rule=CHECK_AFTER_ASSETS if org.asset_traffic else TriggerRule.ALL_SUCCESS,
            doc_md="Usage per period against the limits in force, forecast and data freshness; records alerts.",
        )
        send_notices = UsageNotifyOperator(
            task_id=NOTIFY_TASK,
            org=org,
            config=config,
            doc_md="Send due notices to each channel that lacks them.",
        )
        usage_within_limits = EmptyOperator(task_id=WITHIN_LIMITS_TASK, doc_md="No new notice is due.")

        fetch_traffic >> upsert_traffic >> check_usage >> [send_notices, usage_within_limits]
        if org.asset_traffic:
            # After the traffic fetch (a rejected token is refused once), beside the upsert; the check runs
            # whether it succeeded or not (its trigger rule) and says which days' files are missing.
            load_assets = StoryblokAssetTrafficOperator(
                task_id="load_assets",
                org=org,
                config=config,
                pool=config.pool,
                doc_md="Load the bytes each file served on the run's days from "
                "`GET /v1/orgs/me/statistics/assets_traffic`, a request and a transaction per day.",
            )
            # A failed task that is no leaf does not fail the run (Airflow judges a run by its leaves): this
            # leaf, upstream_failed then, fails it, so the failure is told as the pipeline's incident.
            assets_loaded = EmptyOperator(
                task_id="assets_loaded", doc_md="Fails the run when load_assets failed (after the check ran)."
            )
            fetch_traffic >> load_assets >> [check_usage, assets_loaded]
    return dag


def _default_args(config: MonitorConfig, retry_delay: timedelta, **more: object) -> dict[str, object]:
    """Every task's: retried ``config.retries`` times, its error kept for the failure notice."""
    return {
        "owner": "data-platform",
        "retries": config.retries,
        "retry_delay": retry_delay,
        **more,
        "on_failure_callback": record_failure,
    }


def _pcts(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values) or "off"


DIGEST_DOC = """
### Weekly digest of Storyblok traffic for `{org}`

**send_digest** tells {channels} how the week went, every {weekday} at {hour:02d}:00 UTC: both meters
this week and this billing period against their limits, the projection and the projected bill, the top
spaces and files against the week before, and the week's notices (email: with the month's chart). The
week is the newest that ended before the run (Monday to Sunday, UTC); trigger with `week` (`2026-W49`)
for another. A week is sent once per channel: a second run finds it sent. The DAG is created paused:
unpause it to start (it then runs at once for its latest {weekday}).
"""


def digest_dags(config: MonitorConfig | None = None) -> dict[str, DAG]:
    """One weekly digest DAG per organisation that has a digest and channels for it, by DAG id."""
    from storyblok_traffic.operators.digest import WeeklyDigestOperator  # as in backfill_dag

    config = config or load_config()
    dags = {}
    for org in config.organisations:
        channels = config.digest_channels_for(org)
        if org.digest is None or not channels:
            continue
        with DAG(
            dag_id=f"{org.dag_id}_digest",
            schedule=CronTriggerTimetable(org.digest.cron, timezone="UTC"),
            start_date=datetime.combine(config.start_date, datetime.min.time(), tzinfo=UTC),
            catchup=False,
            max_active_runs=1,
            # Paused when Airflow first sees it, whatever dags_are_paused_at_creation says: unpaused, it runs at
            # once for its latest Monday, and an email to the bill's owners starts when someone decides.
            is_paused_upon_creation=True,
            tags=["storyblok", "traffic", "digest"],
            doc_md=DIGEST_DOC.format(
                org=org.org,
                channels=", ".join(f"`{c.name}`" for c in channels),
                weekday=org.digest.weekday.capitalize(),
                hour=org.digest.hour,
            ),
            params={
                "week": Param(
                    None,
                    type=["null", "string"],
                    pattern="^[0-9]{4}-[Ww][0-9]{2}$",
                    title="Week (ISO, such as 2026-W49)",
                    description="Blank: the newest week that ended before the run.",
                )
            },
            default_args=_default_args(config, timedelta(minutes=2)),
        ) as dag:
            WeeklyDigestOperator(
                task_id="send_digest",
                org=org,
                config=config,
                doc_md="The week's digest to each digest channel that lacks it.",
            )
        dags[dag.dag_id] = dag
    return dags


BACKFILL_DOC = """
### Backfill for a Storyblok organisation

**load_months** checks the form, then fetches each calendar month of the range in one request and
upserts it in one transaction (in the `{pool}` pool), or, with source `stored`, replays the answers
kept in `raw_responses` for it without calling the API; **evaluate_days** then checks every day in date
order and records the alerts it finds as `suppressed`: history never notifies. Beside it,
**load_asset_days** loads the bytes each file served on every day of the range (with `asset_traffic`),
a request per day at the rate limit, its progress in its log.
The result is what the daily DAG would have stored for the same days.
"""


def backfill_dag(config: MonitorConfig | None = None) -> DAG:
    """The backfill DAG: triggered by hand, for one organisation and a range of days."""
    # Imported here: a file with only the daily DAGs parses without them (make bench: parse).
    from storyblok_traffic.operators.backfill import (
        BackfillAssetsOperator,
        BackfillEvaluateOperator,
        BackfillLoadOperator,
    )

    config = config or load_config()
    orgs = {org.conn_id: org for org in config.organisations}
    with DAG(
        dag_id=BACKFILL_DAG_ID,
        schedule=None,
        start_date=datetime.combine(config.start_date, datetime.min.time(), tzinfo=UTC),
        catchup=False,
        max_active_runs=1,
        tags=["storyblok", "traffic", "backfill"],
        doc_md=BACKFILL_DOC.format(pool=config.pool),
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
                next(iter(orgs)), type="string", enum=list(orgs), title="Organisation (its Storyblok connection)"
            ),
        },
        default_args=_default_args(config, timedelta(seconds=30), retry_exponential_backoff=True),
        on_failure_callback=PipelineFailureNotifier(
            channels=config.channels,
            warehouse=config.warehouse,
            org_param="organisation",
            orgs={conn_id: org.org for conn_id, org in orgs.items()},
        ),
    ) as dag:
        load_months = BackfillLoadOperator(
            task_id="load_months",
            orgs=orgs,
            config=config,
            pool=config.pool,
            doc_md="Check the form, then fetch each month in one request and upsert it in one transaction.",
        )
        BackfillEvaluateOperator(
            task_id="evaluate_days",
            loaded=load_months.output,
            orgs=orgs,
            config=config,
            doc_md="Evaluate every day in order; alerts are recorded as suppressed.",
        )
        BackfillAssetsOperator(
            task_id="load_asset_days",
            loaded=load_months.output,
            orgs=orgs,
            config=config,
            pool=config.pool,
            doc_md="The bytes each file served on every day of the range, a request per day at the rate limit "
            "(with `asset_traffic`; source `stored` replayed them with the months).",
        )
    return dag


WATCHDOG_DOC = """
### Watchdog for the Storyblok traffic monitor

**watch_checks** reads when each organisation's `check_usage` last completed (in `{schema}`); after
`silence_after_hours` without one, every channel gets one "monitor silent" notice, and one "monitor
back" once checks complete again. It also sends any notice left pending. Keep this DAG unpaused.
"""


def watchdog_dag(config: MonitorConfig | None = None) -> DAG:
    """The watchdog: hourly, apart from the daily DAGs it watches. When the configuration does not load
    (every other DAG file fails to import), it is built all the same and tells the channels of the last
    configuration that loaded: a broken file never silences the monitor."""
    from storyblok_traffic.operators.watchdog import MonitorWatchdogOperator  # as in backfill_dag

    if config is None:
        try:
            config = load_config()
        except ConfigError as err:
            return _unusable_configuration_watchdog(str(err))
    with DAG(
        schedule=_watchdog_timetable(),
        **_watchdog_args(config.start_date),
        doc_md=WATCHDOG_DOC.format(schema=config.warehouse_schema),
        default_args=_default_args(config, timedelta(minutes=2)),
        on_failure_callback=PipelineFailureNotifier(
            channels=config.channels, warehouse=config.warehouse, org=WATCHDOG_SCOPE
        ),
    ) as dag:
        MonitorWatchdogOperator(task_id="watch_checks", config=config, doc_md="Silent checks, told once per silence.")
    return dag


UNUSABLE_DOC = """
### Watchdog for the Storyblok traffic monitor: the configuration does not load

{error}

No usage is checked until the file is fixed. **tell_unusable_configuration** tells the channels of the
last configuration that loaded once per error, then fails every hour; once the file loads, the
watchdog is itself again and says so.
"""


def _unusable_configuration_watchdog(error: str) -> DAG:
    """The watchdog while the configuration does not load: hourly, failing with ``error``."""
    from storyblok_traffic.operators.watchdog import UnusableConfigurationOperator

    with DAG(
        schedule=_watchdog_timetable(),
        **_watchdog_args(MonitorConfig().start_date),
        doc_md=UNUSABLE_DOC.format(error=error),
    ) as dag:
        UnusableConfigurationOperator(task_id="tell_unusable_configuration", error=error, retries=0)
    return dag


def _watchdog_timetable() -> CronTriggerTimetable:
    return CronTriggerTimetable("17 * * * *", timezone="UTC")  # hourly, apart from the daily runs


def _watchdog_args(start: date) -> dict[str, Any]:
    """The watchdog DAG's id, start and tags: the same whether the configuration loads or not (one DAG in
    Airflow, whichever of the two the file builds)."""
    return {
        "dag_id": WATCHDOG_DAG_ID,
        "start_date": datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["storyblok", "traffic", "watchdog"],
    }
