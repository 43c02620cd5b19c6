"""The weekly digest's delivery ledger (``digest_deliveries``): a week is sent once to each channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storyblok_traffic.warehouse.tables import digest_deliveries


@dataclass(frozen=True)
class DigestDelivery:
    """One channel's copy of an organisation's week: when, and what it was told."""

    channel: str
    delivered_at: datetime
    subject: str
    text: str


def delivered(conn: Connection, org: str, week_start: date) -> list[DigestDelivery]:
    """The channels that have ``org``'s digest of the week from ``week_start`` (its Monday), oldest first."""
    t = digest_deliveries.c
    rows = conn.execute(
        select(t.channel, t.delivered_at, t.subject, t.text)
        .where(t.org == org, t.week_start == week_start)
        .order_by(t.delivered_at, t.channel)
    )
    return [DigestDelivery(*row) for row in rows]


def record(conn: Connection, org: str, week_start: date, sent: DigestDelivery) -> None:
    """``sent`` delivered (a second record of the same week and channel changes nothing)."""
    row = {"org": org, "week_start": week_start, **sent.__dict__}
    conn.execute(pg_insert(digest_deliveries).values(row).on_conflict_do_nothing())
