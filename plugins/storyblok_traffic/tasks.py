"""The work behind the DAG's tasks, callable (and tested) without Airflow's scheduler."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.usage import UsageSummary

log = logging.getLogger(__name__)

PERIOD = "year"
NOTIFY_TASK = "notify_threshold_crossed"
WITHIN_LIMITS_TASK = "usage_within_limits"


def upsert_traffic(fetched_xcom: dict[str, Any], config: MonitorConfig) -> dict[str, Any]:
    """Validate the fetched body again (it crossed a process boundary) and write it in one transaction."""
    from storyblok_traffic.model import FetchedTraffic
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.writes import write_fetch

    fetched = FetchedTraffic.from_xcom(fetched_xcom)
    daily = fetched.daily()  # before any write: an invalid body writes nothing
    with warehouse_transaction(config.warehouse_conn_id, config.warehouse_schema) as conn:
        counts = write_fetch(conn, fetched, daily)
    log.info("Upserted %s for %s, %s..%s", counts.as_dict(), fetched.org, fetched.start_date, fetched.end_date)
    return {
        "org": fetched.org,
        "start_date": fetched.start_date.isoformat(),
        "end_date": fetched.end_date.isoformat(),
        "written": counts.as_dict(),
    }


def check_usage(day: date, org: OrgConfig, config: MonitorConfig) -> UsageSummary:
    """Year-to-date usage as of ``day`` from the warehouse against the limit in force then.

    Newly crossed thresholds are recorded as pending alerts in the same transaction.
    """
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    with warehouse_transaction(config.warehouse_conn_id, config.warehouse_schema) as conn:
        summary = evaluate_year(conn, day, org)
    log.info("Usage check: %s", summary.describe())
    for note in summary.notes:
        log.warning("%s", note)
    return summary


def evaluate_year(conn: Any, day: date, org: OrgConfig) -> UsageSummary:
    from storyblok_traffic import usage
    from storyblok_traffic.warehouse import alerts, reads

    start = usage.year_start(day)
    daily = reads.daily_usage(conn, org.org, start, day, org.metric)
    total = sum(amount for _, amount in daily)
    limits = reads.limits_on(conn, org.org, day)
    limit = limits.yearly if limits else 0
    found = usage.crossings(daily, limit, org.yearly_thresholds)
    alerts.record_crossings(conn, org.org, PERIOD, start, found, limit)
    state = alerts.alerts_for(conn, org.org, PERIOD, start)
    expected = usage.days_in_period_to_date(start, day)
    notes = _coverage_notes(conn, org, start, day, len(daily), expected, limit)
    return UsageSummary(
        org=org.org,
        day=day,
        period=PERIOD,
        period_start=start,
        metric=org.metric,
        usage=total,
        limit=limit,
        percent=usage.percent_of(total, limit),
        thresholds=org.yearly_thresholds,
        crossed=tuple(c.threshold_pct for c in found),
        to_notify=tuple(a.threshold_pct for a in state if a.status == alerts.PENDING),
        days_with_data=len(daily),
        days_in_period=expected,
        notes=notes,
    )


def _coverage_notes(
    conn: Any, org: OrgConfig, start: date, day: date, days: int, expected: int, limit: int
) -> tuple[str, ...]:
    from storyblok_traffic.warehouse.reads import days_missing_bytes

    notes = []
    if days < expected:
        notes.append(
            f"only {days} of {expected} days since {start} are stored: usage is a lower bound until "
            f"the missing days are backfilled"
        )
    if limit <= 0:
        notes.append("no traffic limit is known yet for this organisation: thresholds cannot be checked")
    if org.metric == "bytes":
        missing = days_missing_bytes(conn, org.org, start, day)
        if missing:
            notes.append(f"{missing} day(s) have no byte count yet (Storyblok has not calculated them)")
    return tuple(notes)


def branch_for(summary: UsageSummary) -> str:
    return NOTIFY_TASK if summary.to_notify else WITHIN_LIMITS_TASK


def notify_threshold_crossed(summary_xcom: dict[str, Any], org: OrgConfig, config: MonitorConfig, context: Any) -> int:
    """Send one message for this org's pending alerts and mark them sent; returns alerts sent.

    The alerts stay locked while the message goes out and are marked sent in the same transaction,
    so a retry, a re-run or a concurrent run finds nothing left to send.
    """
    from storyblok_traffic.messages import threshold_message
    from storyblok_traffic.notifiers import WebhookNotifier
    from storyblok_traffic.warehouse import alerts
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    summary = summary_from_xcom(summary_xcom)
    with warehouse_transaction(config.warehouse_conn_id, config.warehouse_schema, migrate=False) as conn:
        pending = alerts.claim_pending(conn, org.org)
        if not pending:
            log.info("Nothing to notify for %s: the alerts were already sent", org.org)
            return 0
        text = threshold_message(summary, pending)
        WebhookNotifier(text=text, webhook_conn_id=config.alerts_conn_id).notify(context)
        alerts.mark_sent(conn, pending, datetime.now(UTC))
    log.info("Notified %d threshold(s) for %s", len(pending), org.org)
    return len(pending)


def summary_from_xcom(value: dict[str, Any]) -> UsageSummary:
    fields = dict(value)
    fields["day"] = date.fromisoformat(fields["day"])
    fields["period_start"] = date.fromisoformat(fields["period_start"])
    for key in ("thresholds", "crossed", "to_notify", "notes"):
        fields[key] = tuple(fields.get(key, ()))
    return UsageSummary(**fields)
