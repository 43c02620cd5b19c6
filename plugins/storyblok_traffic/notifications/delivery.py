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
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from storyblok_traffic.config import INCIDENT_CHANNEL_TYPES, ChannelConfig, OrgConfig
from storyblok_traffic.notifications.senders import sent
from storyblok_traffic.rules.alert_state import Alert
from storyblok_traffic.rules.messages import Message, ended_message, incident_messages, notice_message
from storyblok_traffic.rules.notices import lacking, received_everywhere, still_open
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.rules.wording import WORDING
from storyblok_traffic.warehouse import alerts, reads, silences

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What one delivery did: the notices each channel took, and why the others refused."""

    sent: dict[str, list[str]] = field(default_factory=dict)  # channel -> labels of the notices it took
    failures: dict[str, str] = field(default_factory=dict)  # channel -> error


def deliver_pending(
    conn: Connection,
    org: OrgConfig,
    channels: Sequence[ChannelConfig],
    routing: Routing,
    dashboard_url: str | None = None,
) -> Delivery:
    """Send ``org``'s pending notices to every channel they are routed to that lacks them; the caller owns
    the transaction. ``channels``: the configured ones (``routing`` names among them); ``dashboard_url``:
    each message links to its view there.

    A superseded notice (its row moved on before every channel had it) goes first, in the same
    message as its successor, to each channel that lacks it. A notice a silence holds goes nowhere
    (``warehouse.silences.apply``).
    """
    alerts.lock_org(conn, org.org)
    silences.apply(conn, org.org, datetime.now(UTC))  # a silence made or ended since the check counts now
    held, pending = alerts.superseded(conn, org.org), alerts.pending(conn, org.org)
    waiting = held + pending
    delivery = Delivery()
    if not waiting:
        log.info("Nothing to notify for %s: the notices were already sent", org.org)
        _resolve_ended(conn, org, channels, delivery, dashboard_url)
        return delivery
    done = alerts.delivered(conn, waiting)
    for channel in channels:
        todo = lacking(waiting, channel.name, done, routing)
        if not todo:
            continue
        for batch, message in _messages(org, channel, todo, dashboard_url):
            if not sent(channel, message, delivery.failures, f"{len(batch)} notice(s) for {org.org}"):
                break  # the rest on the retry: an incident's trigger never goes after its own resolve
            alerts.record_delivery(conn, batch, channel.name, datetime.now(UTC))
            done |= {(a.notice_id, channel.name) for a in batch}
            delivery.sent.setdefault(channel.name, []).extend(WORDING[a.kind].label(a) for a in batch)

    _resolve_ended(conn, org, channels, delivery, dashboard_url)
    alerts.drop_superseded(conn, received_everywhere(held, routing, done))
    alerts.finish(conn, received_everywhere(pending, routing, done), datetime.now(UTC))
    log.info("Notices for %s: %s", org.org, delivery.sent or "none sent")
    return delivery


def rendered_again(
    conn: Connection, org: str, limit_meter: str, dashboard_url: str | None = None
) -> list[tuple[str, datetime, Message]]:
    """Every message each channel got for ``org`` (channel, when, message), rendered again from the notices
    as they were delivered: equal, byte for byte, to what was sent with the same ``dashboard_url``
    (deliveries before revision 0008, stored without their notice, are left out)."""
    batches = alerts.sent_batches(conn, org)
    return [(c, when, notice_message(org, limit_meter, batch, dashboard_url)) for c, when, batch in batches]


def ended_due(
    conn: Connection, org: str, channels: Sequence[ChannelConfig]
) -> list[tuple[ChannelConfig, list[Alert], date]]:
    """Each incident service's incidents whose alarm is over without a notice (its period ended as of the
    newest stored day, it ended quietly, its data came back) and not resolved there yet, with that day."""
    services = [c for c in channels if c.type in INCIDENT_CHANNEL_TYPES]
    newest = reads.newest_day(conn, org, datetime.now(UTC).date()) if services else None
    if newest is None:
        return []
    found = [(c, alerts.ended_untold(conn, org, c.name)) for c in services]
    return [(c, [a for a, quietly in f if quietly or not still_open(a, newest, newest)], newest) for c, f in found]


def _resolve_ended(
    conn: Connection, org: OrgConfig, channels: Sequence[ChannelConfig], delivery: Delivery, dashboard_url: str | None
) -> None:
    """Each incident ``ended_due`` names resolved at its service, once."""
    for channel, over, newest in ended_due(conn, org.org, channels):
        for alarm in over:
            message = ended_message(org.org, org.limit_meter, alarm, newest, dashboard_url)
            if not sent(channel, message, delivery.failures, f"1 notice(s) for {org.org}"):
                break  # the rest on the retry
            alerts.record_ended(conn, [alarm], channel.name, datetime.now(UTC))
            delivery.sent.setdefault(channel.name, []).append(f"{WORDING[alarm.kind].label(alarm)} over")


def _messages(
    org: OrgConfig, channel: ChannelConfig, todo: Sequence[Alert], dashboard_url: str | None
) -> list[tuple[list[Alert], Message]]:
    """What ``channel`` gets: one message for the batch, or, for an incident service, one per notice."""
    if channel.type in INCIDENT_CHANNEL_TYPES:
        return [([a], m) for a, m in incident_messages(org.org, org.limit_meter, todo, dashboard_url)]
    return [(list(todo), notice_message(org.org, org.limit_meter, todo, dashboard_url))]
