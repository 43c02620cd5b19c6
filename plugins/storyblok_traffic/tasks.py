"""The work behind the DAG's tasks, callable (and tested) without Airflow's scheduler."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.evaluation import Evaluation

log = logging.getLogger(__name__)

NOTIFY_TASK = "notify_threshold_crossed"
WITHIN_LIMITS_TASK = "usage_within_limits"


def upsert_traffic(fetched_xcom: dict[str, Any], config: MonitorConfig) -> dict[str, Any]:
    """Validate the fetched body again (it crossed a process boundary) and write it in one transaction."""
    from storyblok_traffic.model import FetchedTraffic
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.writes import write_fetch

    fetched = FetchedTraffic.from_xcom(fetched_xcom)
    daily = fetched.daily()  # before any write: an invalid body writes nothing
    with warehouse_transaction(config.warehouse) as conn:
        counts = write_fetch(conn, fetched, daily)
    log.info("Upserted %s for %s, %s..%s", counts.as_dict(), fetched.org, fetched.start_date, fetched.end_date)
    return {
        "org": fetched.org,
        "start_date": fetched.start_date.isoformat(),
        "end_date": fetched.end_date.isoformat(),
        "org_days_received": len(daily.org_days),
        "end_day_received": fetched.end_date in daily.org_days,
        "written": counts.as_dict(),
    }


def check_usage(
    day: date, org: OrgConfig, config: MonitorConfig, fetched_day: bool | None = None, today: date | None = None
) -> Evaluation:
    """Usage as of ``day`` against the limits in force, recording alert transitions in one transaction.

    ``today`` (default: the UTC date now) decides whether the day is within the alert lookback.
    """
    from storyblok_traffic.alerting import evaluate
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    today = today or datetime.now(UTC).date()
    with warehouse_transaction(config.warehouse) as conn:
        evaluation = evaluate(conn, org, day, today, fetched_day)
    log.info("Usage check:\n%s", evaluation.describe())
    for note in evaluation.all_notes():
        log.warning("%s", note)
    return evaluation


def branch_for(evaluation: Evaluation) -> str:
    return NOTIFY_TASK if evaluation.due else WITHIN_LIMITS_TASK


def notify_due(org: OrgConfig, config: MonitorConfig) -> dict[str, list[str]]:
    """Send the org's due notices to each channel that does not have them yet; returns channel -> alert keys.

    The organisation stays locked while messages go out, so a concurrent run finds nothing to send
    and a concurrent check waits and then sees what was sent. Each
    delivery is recorded per channel; when a channel fails the others are still served and recorded,
    and the task fails afterwards, so its retry sends only to the channel that failed.
    """
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    failures: dict[str, str] = {}
    with warehouse_transaction(config.warehouse) as conn:
        sent = _deliver(conn, org, config, failures)
    if failures:
        detail = "; ".join(f"{name}: {error}" for name, error in failures.items())
        raise NotificationError(f"notices for {org.org} not delivered to {len(failures)} channel(s): {detail}")
    return sent


class NotificationError(RuntimeError):
    """A channel did not take a notice; the others did, and a retry sends only to the failed one."""


def _deliver(conn: Any, org: OrgConfig, config: MonitorConfig, failures: dict[str, str]) -> dict[str, list[str]]:
    from storyblok_traffic.messages import alert_message
    from storyblok_traffic.notifiers import notifier_for
    from storyblok_traffic.warehouse import alerts, reads

    # Other senders and checks of the org wait until this transaction ends: a second sender then finds
    # the notices sent, and no check that read them as pending writes them back after they were sent.
    alerts.lock_org(conn, org.org)
    due = alerts.due(conn, org.org)
    if not due:
        log.info("Nothing to notify for %s: the notices were already sent", org.org)
        return {}
    done = alerts.delivered(conn, due)
    # One query per period: its spaces up to the newest day any of its notices speaks of.
    latest: dict[tuple[str, date], date] = {}
    for a in due:
        if a.period != "data":
            key = (a.period, a.period_start)
            latest[key] = max(latest.get(key, a.as_of), a.as_of)
    top = {key: reads.top_spaces(conn, org.org, key[1], as_of, org.metric) for key, as_of in latest.items()}
    channels = config.channels_for(org)
    sent: dict[str, list[str]] = {}
    for channel in channels:
        todo = [a for a in due if (a.key, channel.name) not in done]
        if not todo:
            continue
        try:
            notifier_for(channel).send(alert_message(org.org, org.metric, todo, top))
        except Exception as err:  # any channel's failure must not stop the others
            log.error("Channel %s did not take %d notice(s) for %s: %s", channel.name, len(todo), org.org, err)
            failures[channel.name] = str(err) or type(err).__name__
            continue
        alerts.record_delivery(conn, todo, channel.name, datetime.now(UTC))
        done |= {(a.key, channel.name) for a in todo}
        sent[channel.name] = [_label(a) for a in todo]
    complete = [a for a in due if all((a.key, c.name) in done for c in channels)]
    alerts.finish(conn, complete, datetime.now(UTC))
    log.info("Notices for %s: %s", org.org, sent or "none sent")
    return sent


def _label(alert: Any) -> str:
    return f"{alert.period} {alert.kind} {alert.threshold_pct:g}% {alert.notice}"
