"""The watchdog: an organisation whose daily check has not completed for too long is announced as silent.

It runs from its own DAG, outside the pipeline it watches, so that a paused, failing or stalled daily
DAG is noticed. One "monitor silent" notice per silence episode, one "monitor back" when checks
complete again; both go to every channel of the organisation through the usual delivery.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Connection

from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig
from storyblok_traffic.errors import NotificationError
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.warehouse import alerts, marks, silences

log = logging.getLogger(__name__)


def watch(conn: Connection, org: OrgConfig, now: datetime) -> bool:
    """Record whether ``org``'s checks are silent as of ``now``; returns whether they are. Holds the org's lock."""
    alerts.lock_org(conn, org.org)
    since = marks.silent_since(conn, org.org, now)
    hours = int((now - since).total_seconds() // 3600)
    seen = st.monitor_silent(org.org, since.date(), hours, org.silence_after_hours)
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
            silences.sync_configured(conn, org.org, config.silences_for(org), now)  # a silence may end hourly
            delivery = deliver_pending(conn, org, config.channels, config.routing(org), config.dashboard_url)
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


# Airflow Variables, the watchdog's own: what it must know when the configuration does not load.
CHANNELS_VARIABLE = "storyblok_traffic_channels"  # the channels of the last configuration that loaded
UNUSABLE_VARIABLE = "storyblok_traffic_configuration_error"  # the configuration error told, while it lasts


def remember_channels(config: MonitorConfig) -> None:
    """After a watchdog run on a configuration that loads: its channels kept for a run on one that does
    not, and a configuration error told before told over (once). Inside a task (Airflow's Variables)."""
    import msgspec
    from airflow.sdk import Variable

    from storyblok_traffic.notifications.senders import refusals, send_to_all
    from storyblok_traffic.rules.messages import configuration_message

    Variable.set(CHANNELS_VARIABLE, msgspec.json.encode(config.channels).decode())
    told = Variable.get(UNUSABLE_VARIABLE, default=None)
    if told is not None:
        failures = send_to_all(config.channels, configuration_message(told, valid_again=True))
        if failures:
            raise NotificationError(f"the configuration's return not delivered: {refusals(failures)}")
        Variable.delete(UNUSABLE_VARIABLE)


def tell_unusable_configuration(error: str) -> None:
    """The watchdog of a configuration that does not load: the channels of the last one that did are
    told once per error; the run then fails (red in Airflow) every hour until the file is fixed."""
    import msgspec
    from airflow.sdk import Variable

    from storyblok_traffic.errors import ConfigurationUnusable
    from storyblok_traffic.notifications.senders import refusals, send_to_all
    from storyblok_traffic.rules.messages import configuration_message

    known = Variable.get(CHANNELS_VARIABLE, default=None)
    if known is None:
        raise ConfigurationUnusable(f"{error} (and no channel is known: the watchdog never ran on a configuration)")
    if Variable.get(UNUSABLE_VARIABLE, default=None) != error:
        channels = msgspec.json.decode(known, type=tuple[ChannelConfig, ...])
        failures = send_to_all(channels, configuration_message(error))
        if failures:
            raise NotificationError(f"the unusable configuration not told: {refusals(failures)}")
        Variable.set(UNUSABLE_VARIABLE, error)
    raise ConfigurationUnusable(f"no usage is checked: {error}")
