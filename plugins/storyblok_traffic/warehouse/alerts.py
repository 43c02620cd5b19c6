"""Alert state in ``usage_alerts`` and per-channel deliveries in ``alert_deliveries``.

Evaluations and senders of one organisation take a transaction-scoped advisory lock, so two runs never
decide the same transition, a second sender finds the notices sent, and no evaluation writes back
alerts as they were before a send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storyblok_traffic.rules.alert_state import CLEAR, CLEARED, PENDING, SENT, Alert
from storyblok_traffic.warehouse.tables import alert_deliveries, usage_alerts

# First half of the two-int advisory lock key; the second is the organisation's hash.
_LOCK_SPACE = 0x5B0B


def lock_org(conn: Connection, org: str) -> None:
    """Serialise alert evaluations and sends of ``org`` until the caller's transaction ends."""
    conn.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, func.hashtext(org))))


def load(conn: Connection, org: str, periods: Iterable[tuple[str, date]]) -> dict[tuple[Any, ...], Alert]:
    """The org's alerts of the given (period, period start) pairs, by key."""
    wanted = list(periods)
    if not wanted:
        return {}
    a = usage_alerts.c
    rows = conn.execute(select(usage_alerts).where(a.org == org, tuple_(a.period, a.period_start).in_(wanted)))
    found = (_alert(row) for row in rows.mappings())
    return {alert.key: alert for alert in found}


def save(conn: Connection, alerts: Sequence[Alert]) -> None:
    """Insert or overwrite whole rows (the caller holds the org's lock)."""
    if not alerts:
        return
    stmt = pg_insert(usage_alerts).values([_row(alert) for alert in alerts])
    keys = [c.name for c in usage_alerts.primary_key.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c.name: stmt.excluded[c.name] for c in usage_alerts.columns if c.name not in keys}
    )
    conn.execute(stmt)


def history(conn: Connection, org: str) -> list[Alert]:
    """Every alert of the organisation, by period start, period, kind and threshold."""
    a = usage_alerts.c
    order = (a.period_start, a.period, a.kind, a.threshold_pct)
    rows = conn.execute(select(usage_alerts).where(a.org == org).order_by(*order))
    return [_alert(row) for row in rows.mappings()]


def count_pending(conn: Connection, org: str) -> int:
    a = usage_alerts.c
    return int(conn.scalar(select(func.count()).where(a.org == org, a.status == PENDING)) or 0)


def pending(conn: Connection, org: str) -> list[Alert]:
    """The org's alerts whose notice is waiting; to send them, hold the org's lock (``lock_org``)."""
    a = usage_alerts.c
    rows = conn.execute(
        select(usage_alerts)
        .where(a.org == org, a.status == PENDING)
        .order_by(a.period_start, a.period, a.kind, a.threshold_pct)
    )
    return [_alert(row) for row in rows.mappings()]


def delivered(conn: Connection, alerts: Sequence[Alert]) -> set[tuple[tuple[Any, ...], str]]:
    """(alert key, channel) for each channel that already has the alert's current notice."""
    if not alerts:
        return set()
    d = alert_deliveries.c
    wanted = [(*_db_key(x), x.notice_seq) for x in alerts]
    rows = conn.execute(
        select(d.org, d.period, d.period_start, d.kind, d.threshold_pct, d.channel).where(
            tuple_(d.org, d.period, d.period_start, d.kind, d.threshold_pct, d.notice_seq).in_(wanted)
        )
    )
    return {((org, period, start, kind, float(pct)), channel) for org, period, start, kind, pct, channel in rows}


def record_delivery(conn: Connection, alerts: Sequence[Alert], channel: str, when: datetime) -> None:
    rows = [
        dict(zip(("org", "period", "period_start", "kind", "threshold_pct"), _db_key(x), strict=True))
        | {"notice_seq": x.notice_seq, "channel": channel, "delivered_at": when}
        for x in alerts
    ]
    if rows:
        conn.execute(pg_insert(alert_deliveries).values(rows).on_conflict_do_nothing())


def finish(conn: Connection, alerts: Sequence[Alert], when: datetime) -> None:
    """Every channel has these notices: alarms become sent, clears become cleared."""
    a = usage_alerts.c
    for notice, status in (("alarm", SENT), (CLEAR, CLEARED)):
        keys = [_db_key(x) for x in alerts if x.notice == notice]
        if keys:
            conn.execute(
                update(usage_alerts)
                .where(tuple_(a.org, a.period, a.period_start, a.kind, a.threshold_pct).in_(keys))
                .values(status=status, notified_at=when)
            )


def _db_key(alert: Alert) -> tuple[str, str, date, str, Decimal]:
    return (alert.org, alert.period, alert.period_start, alert.kind, Decimal(str(alert.threshold_pct)))


def _row(alert: Alert) -> dict[str, Any]:
    row = asdict(alert)
    row["threshold_pct"] = Decimal(str(alert.threshold_pct))
    return row


def _alert(row: Any) -> Alert:
    values = dict(row)
    values["threshold_pct"] = float(values["threshold_pct"])
    values["usage"] = int(values["usage"])
    values["usage_limit"] = int(values["usage_limit"])
    return Alert(**values)
