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
from datetime import UTC, datetime

from sqlalchemy import Connection

from storyblok_traffic.config import ChannelConfig, OrgConfig
from storyblok_traffic.notifications.senders import sender_for
from storyblok_traffic.rules.messages import Message, notice_message
from storyblok_traffic.rules.notices import lacking, received_everywhere
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.rules.wording import WORDING
from storyblok_traffic.warehouse import alerts, silences

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
        return delivery
    done = alerts.delivered(conn, waiting)
    for channel in channels:
        todo = lacking(waiting, channel.name, done, routing)
        if not todo:
            continue
        message = notice_message(org.org, org.limit_meter, todo, dashboard_url)
        if _send(channel, message, delivery, org.org, len(todo)):
            alerts.record_delivery(conn, todo, channel.name, datetime.now(UTC))
            done |= {(a.notice_id, channel.name) for a in todo}
            delivery.sent[channel.name] = [WORDING[a.kind].label(a) for a in todo]

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


def _send(channel: ChannelConfig, message: Message, delivery: Delivery, org: str, count: int) -> bool:
    try:
        sender_for(channel).send(message)
    except Exception as err:  # any channel's failure must not stop the others
        log.error("Channel %s did not take %d notice(s) for %s: %s", channel.name, count, org, err)
        delivery.failures[channel.name] = str(err) or type(err).__name__
        return False
    return True
