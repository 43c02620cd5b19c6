"""Alert state in ``usage_alerts``: one row per (org, period, period start, threshold).

Rows are born 'pending' and become 'sent' in the transaction that delivered them; a concurrent
run skips rows another run holds, so a threshold is announced once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storyblok_traffic.usage import Crossing
from storyblok_traffic.warehouse.tables import usage_alerts

PENDING = "pending"
SENT = "sent"


@dataclass(frozen=True)
class Alert:
    org: str
    period: str
    period_start: date
    threshold_pct: float
    crossed_on: date
    usage: int
    usage_limit: int
    status: str


def record_crossings(
    conn: Connection, org: str, period: str, period_start: date, found: Sequence[Crossing], limit: int
) -> None:
    """Insert newly crossed thresholds as pending; known ones stay as they are."""
    if not found:
        return
    rows = [
        {
            "org": org,
            "period": period,
            "period_start": period_start,
            "threshold_pct": Decimal(str(c.threshold_pct)),
            "crossed_on": c.crossed_on,
            "usage": c.usage,
            "usage_limit": limit,
            "status": PENDING,
        }
        for c in found
    ]
    conn.execute(pg_insert(usage_alerts).values(rows).on_conflict_do_nothing())


def alerts_for(conn: Connection, org: str, period: str, period_start: date) -> list[Alert]:
    a = usage_alerts.c
    rows = conn.execute(
        select(usage_alerts)
        .where(a.org == org, a.period == period, a.period_start == period_start)
        .order_by(a.threshold_pct)
    )
    return [_alert(row) for row in rows.mappings()]


def claim_pending(conn: Connection, org: str) -> list[Alert]:
    """Lock this org's pending alerts for the caller's transaction, skipping rows another run holds."""
    a = usage_alerts.c
    rows = conn.execute(
        select(usage_alerts)
        .where(a.org == org, a.status == PENDING)
        .order_by(a.period_start, a.threshold_pct)
        .with_for_update(skip_locked=True)
    )
    return [_alert(row) for row in rows.mappings()]


def mark_sent(conn: Connection, alerts: Sequence[Alert], when: datetime) -> None:
    if not alerts:
        return
    a = usage_alerts.c
    keys = [(x.org, x.period, x.period_start, Decimal(str(x.threshold_pct))) for x in alerts]
    conn.execute(
        update(usage_alerts)
        .where(tuple_(a.org, a.period, a.period_start, a.threshold_pct).in_(keys))
        .values(status=SENT, notified_at=when)
    )


def _alert(row: object) -> Alert:
    m = dict(row)  # type: ignore[call-overload]
    return Alert(
        org=m["org"],
        period=m["period"],
        period_start=m["period_start"],
        threshold_pct=float(m["threshold_pct"]),
        crossed_on=m["crossed_on"],
        usage=int(m["usage"]),
        usage_limit=int(m["usage_limit"]),
        status=m["status"],
    )
