"""Telling an organisation's pipeline incidents: each notice once per channel, each delivery recorded.

The caller holds the organisation's lock and owns the transaction; a channel that fails is named in
the returned failures and gets the notice on the next delivery (a later failure or check).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection

from storyblok_traffic.config import ChannelConfig
from storyblok_traffic.notifications.senders import send_to_all
from storyblok_traffic.rules.incidents import as_told, message
from storyblok_traffic.warehouse import incidents

log = logging.getLogger(__name__)


def deliver_incidents(conn: Connection, org: str, channels: Sequence[ChannelConfig]) -> dict[str, str]:
    """Send each incident notice of ``org`` that a channel lacks; returns channel -> error for those that refused."""
    by_name = {c.name: c for c in channels}
    failures: dict[str, str] = {}
    for incident, lacking in incidents.untold(conn, org, list(by_name)):
        told = message(as_told(incident, incident.notice))  # as it was when it became due
        refused = send_to_all([by_name[name] for name in lacking], told)
        for name in lacking:
            if name not in refused:
                incidents.record_delivery(conn, incident, name, datetime.now(UTC))
                log.info("Told channel %s: %s", name, told.subject)
        failures |= refused
    return failures
