"""The weekly digest's work: an organisation's week told once to each of its digest channels (the
ledger ``warehouse.digests``), and ``storyblok-traffic digest``'s preview. Callable without a scheduler."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.errors import NotificationError
from storyblok_traffic.evaluation.digest import Digest, week_digest
from storyblok_traffic.notifications import digest_message
from storyblok_traffic.notifications.digest_chart import cumulative_png
from storyblok_traffic.notifications.senders import refusals, sent
from storyblok_traffic.rules.messages import dashboard_link
from storyblok_traffic.rules.weeks import Week
from storyblok_traffic.warehouse import alerts, digests

log = logging.getLogger(__name__)


class NothingStored(ValueError):
    """The organisation has no stored day by the week's end: a digest would have nothing to tell."""


def send_digest(org: OrgConfig, config: MonitorConfig, week: Week, today: date | None = None) -> dict[str, list[str]]:
    """``org``'s digest of ``week`` to each of its digest channels that lacks it: ``sent`` and ``had``
    (the channels that got it now, and before). A channel that refuses stops no other; this fails
    afterwards naming it, so that a retry serves only it."""
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    today = today or datetime.now(UTC).date()
    channels = config.digest_channels_for(org)
    failures: dict[str, str] = {}
    told: list[str] = []
    with warehouse_transaction(config.warehouse) as conn:
        alerts.lock_org(conn, org.org)  # one sender at a time: a second run waits, then finds the week sent
        had = [d.channel for d in digests.delivered(conn, org.org, week.first)]
        todo = [c for c in channels if c.name not in had]
        if not todo:
            log.info("The digest of %s for %s was sent before to %s: nothing to send", week.label, org.org, had)
            return {"sent": [], "had": had}
        digest = _digest(conn, org, config, week, today)
        link = _link(config, digest)
        chart = cumulative_png(digest) if any(c.type == "email" for c in todo) else None
        for channel in todo:
            message = digest_message.message(digest, channel.type, link, chart)
            if not sent(channel, message, failures, f"the digest of {week.label} for {org.org}"):
                continue
            delivery = digests.DigestDelivery(channel.name, datetime.now(UTC), message.subject, message.text)
            digests.record(conn, org.org, week.first, delivery)
            told.append(channel.name)
    log.info("The digest of %s for %s: sent to %s", week.label, org.org, told or "none")
    if failures:
        raise NotificationError(
            f"the digest of {week.label} for {org.org} not delivered to {len(failures)} channel(s): "
            f"{refusals(failures)}"
        )
    return {"sent": told, "had": had}


def preview(conn: Connection, org: OrgConfig, config: MonitorConfig, week: Week, today: date, as_html: bool) -> str:
    """The digest as a channel would get it, sent nowhere: its text, or (``as_html``) the email's HTML as a
    file a browser opens, the chart inside it."""
    digest = _digest(conn, org, config, week, today)
    link = _link(config, digest)
    if not as_html:
        return digest_message.text(digest, link)
    png = base64.b64encode(cumulative_png(digest)).decode()
    return digest_message.html(digest, link, f"data:image/png;base64,{png}")


class WeekNotBegun(ValueError):
    """A week that has not begun: nothing of it can be told."""


def _digest(conn: Connection, org: OrgConfig, config: MonitorConfig, week: Week, today: date) -> Digest:
    if week.first > today:
        raise WeekNotBegun(f"week {week.label} ({week.span()}) has not begun: today is {today}")
    digest = week_digest(conn, org, config, week, today)
    if digest is None:
        raise NothingStored(
            f"nothing is stored for {org.org} by {week.last}: the digest of {week.label} has nothing to tell "
            f"(is the daily DAG {org.dag_id} running? the backfill DAG loads past days)"
        )
    return digest


def _link(config: MonitorConfig, digest: Digest) -> str | None:
    if config.dashboard_url is None:
        return None
    return dashboard_link(config.dashboard_url, digest.org, date.fromisoformat(digest.usage.as_of))
