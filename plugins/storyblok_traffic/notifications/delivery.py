"""Delivering an organisation's pending notices: one message per channel, each delivery recorded.

The organisation stays locked (``warehouse.alerts.lock_org``) while messages go out, so a concurrent
sender finds nothing left to send and a concurrent check waits and then sees what was sent. When a
channel fails, the others are still served and recorded; the caller fails afterwards, so its retry
sends only to the channel that failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from storyblok_traffic.config import ChannelConfig, OrgConfig
from storyblok_traffic.notifications.senders import sender_for
from storyblok_traffic.rules.alert_state import ACTUAL, ALARM, DATA_PERIOD, MONITOR_PERIOD, Alert
from storyblok_traffic.rules.messages import Message, TopSpaces, alert_message
from storyblok_traffic.rules.wording import WORDING
from storyblok_traffic.warehouse import alerts, marks, reads

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What one delivery did: the notices each channel took, and why the others refused."""

    sent: dict[str, list[str]] = field(default_factory=dict)  # channel -> labels of the notices it took
    failures: dict[str, str] = field(default_factory=dict)  # channel -> error


def deliver_pending(conn: Connection, org: OrgConfig, channels: Sequence[ChannelConfig]) -> Delivery:
    """Send ``org``'s pending notices to every channel that lacks them; the caller owns the transaction.

    A superseded notice (its row moved on before every channel had it) goes first, in the same
    message as its successor, to each channel that lacks it.
    """
    alerts.lock_org(conn, org.org)
    held, pending = alerts.superseded(conn, org.org), alerts.pending(conn, org.org)
    waiting = held + pending
    delivery = Delivery()
    if not waiting:
        log.info("Nothing to notify for %s: the notices were already sent", org.org)
        return delivery
    top = _top_spaces(conn, org, waiting)
    unknown = _unknown_before(conn, waiting)
    live_since = marks.first_live_day(conn, org.org)
    bill = _bill(conn, org, max(a.as_of for a in waiting))
    done = alerts.delivered(conn, waiting)
    for channel in channels:
        todo = [a for a in waiting if (a.notice_id, channel.name) not in done]
        if not todo:
            continue
        message = alert_message(org.org, org.metric, todo, top, unknown, live_since, bill)
        if _send(channel, message, delivery, org.org, len(todo)):
            alerts.record_delivery(conn, todo, channel.name, datetime.now(UTC))
            done |= {(a.notice_id, channel.name) for a in todo}
            delivery.sent[channel.name] = [WORDING[a.kind].label(a) for a in todo]

    def everywhere(a: Alert) -> bool:
        return all((a.notice_id, c.name) in done for c in channels)

    alerts.drop_superseded(conn, [a for a in held if everywhere(a)])
    alerts.finish(conn, [a for a in pending if everywhere(a)], datetime.now(UTC))
    log.info("Notices for %s: %s", org.org, delivery.sent or "none sent")
    return delivery


def _top_spaces(conn: Connection, org: OrgConfig, pending: Sequence[Alert]) -> TopSpaces:
    """One query per meter and period: its spaces up to the newest day any of its notices speaks of."""
    latest: dict[tuple[str, str, date], date] = {}
    for a in pending:
        if a.period not in (DATA_PERIOD, MONITOR_PERIOD):
            key = (a.meter or org.metric, a.period, a.period_start)
            latest[key] = max(latest.get(key, a.as_of), a.as_of)
    return {key: reads.top_spaces(conn, org.org, key[2], as_of, key[0]) for key, as_of in latest.items()}


def _bill(conn: Connection, org: OrgConfig, as_of: date) -> dict[str, Any] | None:
    """The JSON webhook's ``bill``: the billing period as of the newest notice, shaped as ``/api/usage``'s
    (both meters, the overage so far and projected, money as decimal strings); None without a plan."""
    from storyblok_traffic.bill_document import bill_document
    from storyblok_traffic.evaluation.meters import bill_figures
    from storyblok_traffic.warehouse.stored_days import StoredDays

    found = bill_figures(StoredDays(conn, org.org), org, as_of, plans=False)
    if found.chosen.plan is None:
        return None
    return bill_document(found).model_dump(mode="json", exclude={"what_if"})


def _unknown_before(conn: Connection, pending: Sequence[Alert]) -> dict[tuple[Any, ...], int]:
    """Per crossing: the days of its period before the crossing day that are not stored."""
    unknown = {}
    for a in pending:
        if a.kind == ACTUAL and a.notice == ALARM and a.crossed_on > a.period_start:
            stored = reads.days_stored(conn, a.org, a.period_start, a.crossed_on - timedelta(days=1))
            unknown[a.key] = (a.crossed_on - a.period_start).days - len(stored)
    return unknown


def _send(channel: ChannelConfig, message: Message, delivery: Delivery, org: str, count: int) -> bool:
    try:
        sender_for(channel).send(message)
    except Exception as err:  # any channel's failure must not stop the others
        log.error("Channel %s did not take %d notice(s) for %s: %s", channel.name, count, org, err)
        delivery.failures[channel.name] = str(err) or type(err).__name__
        return False
    return True
