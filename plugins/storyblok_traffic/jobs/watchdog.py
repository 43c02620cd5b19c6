"""The watchdog: an organisation whose daily check has not completed for too long is announced as silent.

It runs from its own DAG, outside the pipeline it watches, so that a paused, failing or stalled daily
DAG is noticed. One "monitor silent" notice per silence episode, one "monitor back" when checks
complete again; both go to every channel of the organisation through the usual delivery.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Connection

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.errors import NotificationError
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.warehouse import alerts, marks

log = logging.getLogger(__name__)


def watch(conn: Connection, org: OrgConfig, now: datetime) -> bool:
    """Record whether ``org``'s checks are silent as of ``now``; returns whether they are. Holds the org's lock."""
    alerts.lock_org(conn, org.org)
    since = marks.silent_since(conn, org.org, now)
    hours = int((now - since).total_seconds() // 3600)
    seen = st.silence(org.org, since.date(), hours, org.silence_after_hours)
    silent = seen.in_alarm
    known = alerts.load(conn, org.org, [(st.MONITOR_PERIOD, st.NEVER)])
    changed = st.next_state(known.get(seen.key), seen, now.date(), quiet=False)
    if changed is not None:
        alerts.save(conn, [changed], now.date(), before=known, journal=False)
    log.info("Checks of %s: last completed %s (%d h ago; allowed %d h)", org.org, since, hours, org.silence_after_hours)
    return silent


def watch_checks(config: MonitorConfig, now: datetime | None = None) -> dict[str, bool]:
    """For every organisation: record whether its checks are silent and send its pending notices; org -> silent.

    Each organisation in its own transaction, so one that fails does not hold back the others' notices.
    """
    from storyblok_traffic.notifications.delivery import deliver_pending
    from storyblok_traffic.notifications.incidents import deliver_incidents
    from storyblok_traffic.rules.incidents import WATCHDOG_SCOPE
    from storyblok_traffic.warehouse import incidents
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    now = now or datetime.now(UTC)
    silent, failures = {}, []
    for org in config.organisations:
        with warehouse_transaction(config.warehouse) as conn:
            silent[org.org] = watch(conn, org, now)
            delivery = deliver_pending(conn, org, config.channels, config.routing(org))
            delivery.failures.update(deliver_incidents(conn, org.org, config.channels_for(org)))
        failures += [f"{org.org} via {name}: {error}" for name, error in delivery.failures.items()]
    with warehouse_transaction(config.warehouse) as conn:  # the watchdog's own incidents: it works again
        alerts.lock_org(conn, WATCHDOG_SCOPE)
        incidents.resolve(conn, WATCHDOG_SCOPE, now.date(), now.replace(microsecond=0))
        told = deliver_incidents(conn, WATCHDOG_SCOPE, config.channels)
    failures += [f"the watchdog via {name}: {error}" for name, error in told.items()]
    if failures:
        raise NotificationError("notices not delivered: " + "; ".join(failures))
    return silent
