"""The daily DAG's work (upsert, check, notify, its outlet event's extra), callable without Airflow's scheduler.

Each function owns its transaction."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.errors import NotificationError
from storyblok_traffic.evaluation.result import Evaluation
from storyblok_traffic.xcom import Upserted

if TYPE_CHECKING:
    from storyblok_traffic.hooks.client import StoryblokClient

log = logging.getLogger(__name__)


def upsert_traffic(fetched_xcom: dict[str, Any], config: MonitorConfig) -> Upserted:
    """Validate the fetched body again (it crossed a process boundary) and write it in one transaction."""
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.writes import write_fetch
    from storyblok_traffic.xcom import FetchedTraffic

    fetched = FetchedTraffic.from_xcom(fetched_xcom)
    daily = fetched.daily()  # before any write: an invalid body writes nothing
    with warehouse_transaction(config.warehouse) as conn:
        counts = write_fetch(conn, fetched, daily)
    log.info("Upserted %s for %s, %s..%s", counts.as_dict(), fetched.org, fetched.start_date, fetched.end_date)
    return Upserted(
        org=fetched.org,
        start_date=fetched.start_date,
        end_date=fetched.end_date,
        org_days=len(daily.org_days),
        fetched_day=fetched.end_date in daily.org_days,
        written=counts.as_dict(),
    )


def load_assets(client: StoryblokClient, day: date, org: OrgConfig, config: MonitorConfig) -> dict[str, Any]:
    """The run's days of the bytes each file served (``asset_days.days_for_run``), a transaction per day; an
    invalid answer is kept in ``rejected_responses``. Returns the days loaded and the rows written."""
    from storyblok_traffic.jobs.asset_days import days_for_run, load_into

    return load_into(config.warehouse, client, org.org, lambda conn: days_for_run(conn, org, day)).to_xcom()


def outlet_extra(upserted: Upserted, config: MonitorConfig) -> dict[str, Any]:
    """The extra of the Airflow asset event the upsert emits (read only): the newest day, the percent of
    each period's limit used per meter (``month_percent`` for the limit meter, ``bytes_month_percent``
    for the other) and the bill."""
    from storyblok_traffic.evaluation.day import evaluate
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    org = next(o for o in config.organisations if o.org == upserted.org)
    with warehouse_transaction(config.warehouse) as conn:
        evaluation = evaluate(conn, org, upserted.end_date, True, upserted.fetched_day)
    percents = {
        f"{p.period}_percent" if p.meter == org.limit_meter else f"{p.meter}_{p.period}_percent": p.percent
        for p in evaluation.periods
    }
    money: dict[str, Any] = {}
    if (bill := evaluation.bill) is not None:  # amounts as strings: exact decimals, as /api/usage gives them
        projected = None if bill.projected is None else str(bill.projected)
        money = {"plan": bill.plan, "currency": bill.currency, "overage": str(bill.overage)}
        money["projected_bill"] = projected
    return {"newest_day": None if evaluation.newest_day is None else str(evaluation.newest_day), **percents, **money}


def check_usage(
    day: date, org: OrgConfig, config: MonitorConfig, fetched_day: bool | None = None, today: date | None = None
) -> Evaluation:
    """Usage as of ``day`` against the limits in force, recording alert transitions in one transaction.

    Every day out of date up to ``day`` (or past it) is evaluated too, in date order. ``today``
    (default: the UTC date now) decides whether a day is within the alert lookback.
    """
    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.evaluation.gauges import gauges_of
    from storyblok_traffic.jobs.metrics import emit, metrics_on
    from storyblok_traffic.notifications.delivery import ended_due
    from storyblok_traffic.rules.incidents import summary
    from storyblok_traffic.warehouse import alerts, incidents, silences
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.reads import asset_days_stored

    today = today or datetime.now(UTC).date()
    channels = [c.name for c in config.channels_for(org)]
    with warehouse_transaction(config.warehouse) as conn:
        alerts.lock_org(conn, org.org)
        silences.sync_configured(conn, org.org, config.silences_for(org), datetime.now(UTC))
        evaluation = check(conn, org, day, day, today, config.routing(org), fetched_day)
        files_missing = org.asset_traffic and day not in asset_days_stored(conn, org.org, day, day)
        # A completed check with the day's files in is the pipeline working again: its open incidents end,
        # each with one notice (a run whose file load failed counts on its incident instead of flapping it).
        resolved = (
            [] if files_missing else incidents.resolve(conn, org.org, day, datetime.now(UTC).replace(microsecond=0))
        )
        untold = len(incidents.untold(conn, org.org, channels))
        # An incident service's incident whose alarm is over (its month ended) is resolved by the delivery.
        untold += sum(len(over) for _, over, _ in ended_due(conn, org.org, config.channels))
        gauges = gauges_of(conn, evaluation, today) if metrics_on() else []
    emit(gauges)
    if files_missing:
        note = (
            f"the files served on {day} are not stored (load_assets did not complete): its bandwidth is checked, "
            "and notices name the files of the days that are stored"
        )
        evaluation = replace(evaluation, notes=(*evaluation.notes, note))
    for incident in resolved:
        log.info("Working again: %s", summary(incident))
    if untold:
        evaluation = replace(evaluation, pending_notices=evaluation.pending_notices + untold)
    log.info("Usage check:\n%s", evaluation.describe())
    for note in evaluation.all_notes():
        log.warning("%s", note)
    return evaluation


def notify_due(org: OrgConfig, config: MonitorConfig) -> dict[str, list[str]]:
    """Send the org's pending notices to each channel that does not have them yet; returns channel -> notices.

    A channel that fails does not stop the others; this fails afterwards, so a retry serves only it.
    """
    from storyblok_traffic.notifications.delivery import deliver_pending
    from storyblok_traffic.notifications.incidents import deliver_incidents
    from storyblok_traffic.notifications.senders import refusals
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    with warehouse_transaction(config.warehouse) as conn:
        delivery = deliver_pending(
            conn, org, config.channels, config.routing(org), config.dashboard_url
        )  # takes the org's lock
        delivery.failures.update(deliver_incidents(conn, org.org, config.channels_for(org)))
    if delivery.failures:
        detail = refusals(delivery.failures)
        raise NotificationError(f"notices for {org.org} not delivered to {len(delivery.failures)} channel(s): {detail}")
    return delivery.sent
