"""Alert state in ``usage_alerts`` and per-channel deliveries in ``alert_deliveries``.

Evaluations and senders of one organisation take a transaction-scoped advisory lock, so two runs never
decide the same transition, a second sender finds the notices sent, and no evaluation writes back
alerts as they were before a send.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import Connection, Table, and_, delete, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import Insert, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import OperationalError

from storyblok_traffic.errors import WarehouseWaitTimeout
from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    ALARM,
    CLEAR,
    CLEARED,
    PENDING,
    SENT,
    SILENCED,
    SPIKE,
    SUPPRESSED,
    Alert,
    Series,
)
from storyblok_traffic.rules.alert_state import superseded as superseded_by
from storyblok_traffic.rules.notices import Recipients, received_everywhere
from storyblok_traffic.warehouse.tables import (
    alert_deliveries,
    incident_ends,
    superseded_notices,
    usage_alert_versions,
    usage_alerts,
)
from storyblok_traffic.warehouse.waits import LOCK_NOT_AVAILABLE

# First half of the two-int advisory lock key; the second is the organisation's hash.
_LOCK_SPACE = 0x5B0B


def lock_org(conn: Connection, org: str) -> None:
    """Serialise alert evaluations and sends of ``org`` until the caller's transaction ends.

    The wait is bounded by the transaction's ``lock_timeout``: past it, the error names the session
    that holds the lock (read before waiting: a failed wait leaves nothing to ask with).
    """
    key = (_LOCK_SPACE, func.hashtext(org))
    if conn.scalar(select(func.pg_try_advisory_xact_lock(*key))):
        return
    holder, bound = _holder(conn, org), conn.scalar(text("SELECT current_setting('lock_timeout')"))
    try:
        conn.execute(select(func.pg_advisory_xact_lock(*key)))
    except OperationalError as err:
        if getattr(err.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise WarehouseWaitTimeout(
            f"waited {bound} (lock_timeout_seconds) for the lock of organisation {org!r}, which its checks "
            f"and sends take in turn; it was held by {holder}. The retry runs once that session is done."
        ) from err


def _holder(conn: Connection, org: str) -> str:
    """The session holding ``org``'s lock, as ``pg_stat_activity`` shows it."""
    row = conn.execute(_HOLDER, {"space": _LOCK_SPACE, "org": org}).first()
    if row is None:
        return "a session that has since let it go"
    pid, application, state, since, query = row
    return (
        f"session {pid} (application {application or 'unnamed'!r}, {state} since {since:%Y-%m-%d %H:%M:%S %Z}, "
        f"its last statement: {' '.join(str(query).split())[:160]})"
    )


# The two int4 keys of an advisory lock show in pg_locks as classid and objid, read as unsigned oids.
_HOLDER = text(
    "SELECT a.pid, a.application_name, a.state, a.xact_start, a.query FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.classid = :space AND l.objid = ((hashtext(:org)::bigint + 4294967296) % 4294967296)::oid"
)


def load(conn: Connection, org: str, periods: Iterable[tuple[str, date]]) -> dict[tuple[Any, ...], Alert]:
    """The org's alerts of the given (period, period start) pairs, by key."""
    wanted = list(periods)
    if not wanted:
        return {}
    a = usage_alerts.c
    rows = conn.execute(select(usage_alerts).where(a.org == org, tuple_(a.period, a.period_start).in_(wanted)))
    found = (alert_of(row) for row in rows.mappings())
    return {alert.key: alert for alert in found}


class AlertRows:
    """The org's alert rows, read once for a check of many days and kept current with what it saves.

    ``load`` answers as the function of that name does, ``spikes`` with the spike rows by series; the
    caller reads them again after anything but ``save`` changes rows (``settle``).
    """

    def __init__(self, conn: Connection, org: str) -> None:
        rows = conn.execute(select(usage_alerts).where(usage_alerts.c.org == org))
        self.by_key = {alert.key: alert for alert in (alert_of(row) for row in rows.mappings())}

    def load(self, periods: Iterable[tuple[str, date]]) -> dict[tuple[Any, ...], Alert]:
        wanted = set(periods)
        return {key: a for key, a in self.by_key.items() if (a.period, a.period_start) in wanted}

    def spikes(self, meter: str) -> dict[Series, Alert]:
        """``meter``'s spike rows by their series (one row per series), read from their period once here."""
        return {Series.of(a.period): a for a in self.by_key.values() if a.kind == SPIKE and a.meter == meter}

    def saved(self, changed: Iterable[Alert]) -> None:
        self.by_key |= {a.key: a for a in changed}


def episode_starts(conn: Connection, org: str, kind: str, first: date, last: date) -> list[tuple[str, date]]:
    """(period, first day) of each episode of ``kind`` that began in ``first``..``last``, from the journal."""
    v = usage_alert_versions.c
    rows = conn.execute(
        select(v.period, v.crossed_on)
        .where(v.org == org, v.kind == kind, v.notice == ALARM, v.crossed_on.between(first, last))
        .distinct()
        .order_by(v.crossed_on, v.period)
    )
    return [(period, day) for period, day in rows]


def save(
    conn: Connection,
    alerts: Sequence[Alert],
    day: date,
    before: Mapping[tuple[Any, ...], Alert],
    journal: bool = True,
) -> None:
    """Insert or overwrite whole rows, changed by the evaluation of ``day`` (the caller holds the org's lock).

    Each change is also journaled by ``day``, so that ``rewind`` can restore the rows as they were;
    the watchdog's rows are not (``journal=False``): no replay of days may move them. A row's notice
    in ``before`` (the rows as the evaluation found them) that a change supersedes before every channel
    had it is kept in ``superseded_notices``, to go out with its successor.
    """
    if not alerts:
        return
    rows = [_row(alert) for alert in alerts]
    _overwrite(conn, usage_alerts, rows)
    if journal:
        _overwrite(conn, usage_alert_versions, [row | {"day": day} for row in rows])
    held = [old for new in alerts if (old := superseded_by(before.get(new.key), new)) is not None]
    if held:
        _overwrite(conn, superseded_notices, [_row(notice) | {"day": day} for notice in held])


def rewind(conn: Connection, org: str, first: date) -> int:
    """Put ``org``'s alerts back as they were before the evaluation of ``first``; returns the rows restored.

    Deliveries stay: a notice that went out was sent, and ``settle`` recognises it when it is due again.
    """
    v, s = usage_alert_versions.c, superseded_notices.c
    key = key_of(v)
    touched = select(*key).where(v.org == org, v.day >= first).distinct()
    conn.execute(delete(usage_alerts).where(tuple_(*key_of(usage_alerts.c)).in_(touched)))
    columns = [c.name for c in usage_alerts.columns]
    before = (
        select(*(v[name] for name in columns))
        .where(v.org == org, v.day < first, tuple_(*key).in_(touched))
        .order_by(*key, v.day.desc())
        .ext(distinct_on(*key))
    )
    restored = conn.execute(
        usage_alerts.insert().from_select(columns, before), execution_options={"preserve_rowcount": True}
    )
    # A notice superseded from ``first`` on is pending in its restored row again (``touched`` reads the
    # journal: this goes before the journal's rows do).
    conn.execute(delete(superseded_notices).where(s.org == org, s.day >= first, tuple_(*key_of(s)).in_(touched)))
    conn.execute(delete(usage_alert_versions).where(v.org == org, v.day >= first))
    return int(restored.rowcount)


def settle(conn: Connection, org: str, routing: Recipients, quiet: bool = True) -> None:
    """Alarms that every channel they are routed to already has (sent before a rewind) count as sent
    again, as they were sent.

    ``quiet``: also those recorded quietly now. A check evaluating days again settles the due ones after
    each day and the quiet ones once, after its last: a notice told as the state now is due again on the
    day it was told, as date order would make it, not on the earlier day its alarm began quietly.
    """
    a = usage_alerts.c
    waiting_statuses = (PENDING, SUPPRESSED) if quiet else (PENDING,)
    rows = conn.execute(select(usage_alerts).where(a.org == org, a.status.in_(waiting_statuses)))
    waiting = [alert_of(row) for row in rows.mappings()]
    done = delivered(conn, waiting)
    # Sent before: some channel has it (a notice no channel had is not settled, even with no channel).
    sent_somewhere = {notice for notice, _ in done}
    everywhere = [x for x in received_everywhere(waiting, routing, done) if x.notice_id in sent_somewhere]
    # Evaluated again, a notice's figures may differ from what went out: the row keeps what was told.
    if everywhere:
        _overwrite(conn, usage_alerts, [_row(x) for x in _told_as_sent(conn, everywhere)])
    finish(conn, everywhere, datetime.now(UTC))


def _overwrite(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One statement for any number of rows, built once per table: SQLAlchemy compiles it once and
    caches it. (A multi-row VALUES is a new statement for every count of rows: a year's check spent
    more time compiling those than running them.)"""
    conn.execute(_upsert(table), rows)


@cache
def _upsert(table: Table) -> Insert:
    stmt = pg_insert(table)
    keys = [c.name for c in table.primary_key.columns]
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    )


def history(conn: Connection, org: str) -> list[Alert]:
    """Every alert of the organisation, by period start, period, kind and threshold."""
    a = usage_alerts.c
    order = (a.period_start, a.period, a.meter, a.kind, a.threshold_pct)
    rows = conn.execute(select(usage_alerts).where(a.org == org).order_by(*order))
    return [alert_of(row) for row in rows.mappings()]


def maybe_open(conn: Connection, orgs: Sequence[str], on: date) -> dict[str, list[Alert]]:
    """Each organisation's alerts that may be open on ``on`` or later (``rules.notices.lifecycle`` says
    which are): waiting, or alarms told or silenced whose period had not ended before ``on``. One
    statement for all, whatever the years of alerts behind them (the overview's read), in history's order."""
    a = usage_alerts.c
    # Each arm implies a partial index's predicate (revision 0012): the rows are found by index.
    told = and_(a.notice == ALARM, a.status.in_((SENT, SILENCED)))
    arms = (a.status == PENDING, and_(told, a.period_end.is_(None)), and_(told, a.period_end >= on))
    order = (a.org, a.period_start, a.period, a.meter, a.kind, a.threshold_pct)
    rows = conn.execute(select(usage_alerts).where(a.org.in_(orgs), or_(*arms)).order_by(*order))
    found: dict[str, list[Alert]] = {org: [] for org in orgs}
    for row in rows.mappings():
        found[row["org"]].append(alert_of(row))
    return found


def told_through(conn: Connection, org: str) -> date | None:
    """The newest day a notice every channel has speaks of (its ``as_of``): no older day is told after it."""
    a = usage_alerts.c
    return conn.scalar(select(func.max(a.as_of)).where(a.org == org, a.notified_at.is_not(None)))


def count_pending(conn: Connection, org: str) -> int:
    """The org's notices waiting to go out: current ones pending, and superseded ones."""
    a, s = usage_alerts.c, superseded_notices.c
    current = conn.scalar(select(func.count()).where(a.org == org, a.status == PENDING)) or 0
    return int(current) + int(conn.scalar(select(func.count()).where(s.org == org)) or 0)


def pending(conn: Connection, org: str) -> list[Alert]:
    """The org's alerts whose notice is waiting; to send them, hold the org's lock (``lock_org``)."""
    a = usage_alerts.c
    rows = conn.execute(
        select(usage_alerts)
        .where(a.org == org, a.status == PENDING)
        .order_by(a.period_start, a.period, a.kind, a.threshold_pct)
    )
    return [alert_of(row) for row in rows.mappings()]


def superseded(conn: Connection, org: str) -> list[Alert]:
    """The org's superseded notices that some channel still lacks, oldest notice of a row first."""
    s = superseded_notices.c
    rows = conn.execute(
        select(*(s[c.name] for c in usage_alerts.columns))
        .where(s.org == org)
        .order_by(s.period_start, s.period, s.kind, s.threshold_pct, s.meter, s.notice_seq)
    )
    return [alert_of(row) for row in rows.mappings()]


def drop_superseded(conn: Connection, notices: Sequence[Alert]) -> None:
    """Every channel has these superseded notices: they are done."""
    s = superseded_notices.c
    keys = [(*db_key(x), x.notice_seq) for x in notices]
    if keys:
        conn.execute(delete(superseded_notices).where(tuple_(*key_of(s), s.notice_seq).in_(keys)))


NoticeId = tuple[tuple[Any, ...], int]  # (alert key, notice_seq): one notice of one row


def delivered(conn: Connection, alerts: Sequence[Alert]) -> set[tuple[NoticeId, str]]:
    """(notice, channel) for each channel that already has the alert's current notice."""
    if not alerts:
        return set()
    d = alert_deliveries.c
    wanted = [(*db_key(x), x.notice_seq) for x in alerts]
    columns = (*key_of(d), d.notice_seq)
    rows = conn.execute(select(*columns, d.channel).where(tuple_(*columns).in_(wanted)))
    return {
        (((org, period, start, kind, float(pct), meter), seq), channel)
        for org, period, start, kind, pct, meter, seq, channel in rows
    }


def record_delivery(conn: Connection, alerts: Sequence[Alert], channel: str, when: datetime) -> None:
    """``channel`` got these notices in one message at ``when``; each is kept as it was sent."""
    rows = [_notice_row(x, channel) | {"delivered_at": when, "as_sent": _snapshot(x)} for x in alerts]
    if rows:
        conn.execute(pg_insert(alert_deliveries).values(rows).on_conflict_do_nothing())


def ended_untold(conn: Connection, org: str, channel: str) -> list[tuple[Alert, bool]]:
    """Alarms whose notice ``channel`` has (the row's current one) and whose end it was never told, as they
    were told, each with whether it ended quietly (a forecast that fell back): the caller keeps those
    over, for an incident service to resolve (an end told by a notice of its own is a newer notice)."""
    a, d, e = usage_alerts.c, alert_deliveries.c, incident_ends.c

    def of_this_notice(c: Any) -> Any:  # the row's current notice, in a table keyed by notice and channel
        pairs = zip((*key_of(c), c.notice_seq), (*key_of(a), a.notice_seq), strict=True)
        return and_(*(x == y for x, y in pairs), c.channel == channel)

    rows = conn.execute(
        select(usage_alerts)
        .where(a.org == org, ((a.notice == ALARM) & (a.status == SENT)) | (a.status == CLEARED))
        .where(select(d.channel).where(of_this_notice(d)).exists())
        .where(~select(e.channel).where(of_this_notice(e)).exists())
    )
    found = [alert_of(row) for row in rows.mappings()]
    quietly = {x.notice_id for x in found if x.status == CLEARED}
    # A cleared row whose current notice the channel has is over: quietly when that notice was its alarm
    # (a forecast that fell back keeps it), told when it was its clear (that resolved it already).
    return [(x, x.notice_id in quietly) for x in _told_as_sent(conn, found) if x.notice == ALARM]


def record_ended(conn: Connection, notices: Sequence[Alert], channel: str, when: datetime) -> None:
    """``channel`` was told these alarms are over (an incident service resolved them)."""
    rows = [_notice_row(x, channel) | {"ended_at": when} for x in notices]
    if rows:
        conn.execute(pg_insert(incident_ends).values(rows).on_conflict_do_nothing())


def sent_batches(conn: Connection, org: str) -> list[tuple[str, datetime, list[Alert]]]:
    """Each message a channel got for ``org`` (channel, when, its notices as sent), oldest first; deliveries
    recorded before notices were kept with them (revision 0008) are left out."""
    d = alert_deliveries.c
    rows = conn.execute(
        select(d.channel, d.delivered_at, d.as_sent)
        .where(d.org == org, d.as_sent.is_not(None))
        .order_by(d.delivered_at, d.channel)
    )
    batches: dict[tuple[str, datetime], list[Alert]] = {}
    for channel, when, notice in rows:
        batches.setdefault((channel, when), []).append(_from_snapshot(notice))
    return [(channel, when, batch) for (channel, when), batch in batches.items()]


def _told_as_sent(conn: Connection, alerts: Sequence[Alert]) -> list[Alert]:
    """``alerts`` as their notices were sent (the first delivery's copy): a notice evaluated again after a
    rewind keeps what it told, whatever the figures now say (the next notice tells what changed)."""
    if not alerts:
        return []
    d = alert_deliveries.c
    columns = (*key_of(d), d.notice_seq)
    wanted = [(*db_key(x), x.notice_seq) for x in alerts]
    rows = conn.execute(
        select(d.as_sent).where(tuple_(*columns).in_(wanted), d.as_sent.is_not(None)).order_by(d.delivered_at.desc())
    )
    sent = {(n.key, n.notice_seq): n for n in (_from_snapshot(row) for row in rows.scalars())}
    return [_as_told(sent[x.notice_id], x) if x.notice_id in sent else x for x in alerts]


def _as_told(sent: Alert, now: Alert) -> Alert:
    """The notice as sent, in its state now; a crossing the data now shows began earlier keeps that day
    (the record corrected quietly, as ``rules.alert_state`` corrects a first alarm: "by" that day was true)."""
    earlier = now.kind == ACTUAL and now.crossed_on < sent.crossed_on
    return replace(
        sent,
        status=now.status,
        evaluated_on=now.evaluated_on,
        crossed_on=now.crossed_on if earlier else sent.crossed_on,
    )


def _snapshot(alert: Alert) -> dict[str, Any]:
    """The notice as JSON: its row with its figures."""
    built: dict[str, Any] = msgspec.to_builtins(asdict(alert))
    return built


def _from_snapshot(notice: dict[str, Any]) -> Alert:
    return msgspec.convert(notice, Alert, strict=False)


def finish(conn: Connection, alerts: Sequence[Alert], when: datetime) -> None:
    """Every channel has these notices: alarms become sent, clears become cleared."""
    a = usage_alerts.c
    for notice, status in (("alarm", SENT), (CLEAR, CLEARED)):
        keys = [db_key(x) for x in alerts if x.notice == notice]
        if keys:
            conn.execute(
                update(usage_alerts).where(tuple_(*key_of(a)).in_(keys)).values(status=status, notified_at=when)
            )


def key_of(c: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """The alert key's columns of a table that has them (``table.c``), in ``Alert.key``'s order."""
    return (c.org, c.period, c.period_start, c.kind, c.threshold_pct, c.meter)


def db_key(alert: Alert) -> tuple[str, str, date, str, Decimal, str]:
    """The alert's key as its table's columns hold it (the threshold a Decimal)."""
    return (alert.org, alert.period, alert.period_start, alert.kind, Decimal(str(alert.threshold_pct)), alert.meter)


def _notice_row(alert: Alert, channel: str) -> dict[str, Any]:
    """The columns that name one notice of one row for one channel (a delivery's, an incident's end)."""
    names = ("org", "period", "period_start", "kind", "threshold_pct", "meter")
    return dict(zip(names, db_key(alert), strict=True)) | {"notice_seq": alert.notice_seq, "channel": channel}


def _row(alert: Alert) -> dict[str, Any]:
    row = asdict(alert)
    row["threshold_pct"] = Decimal(str(alert.threshold_pct))
    return row


def alert_of(row: Any) -> Alert:
    """An alert row read with ``select(usage_alerts)`` (or its columns) as an ``Alert``."""
    values = dict(row)
    values["threshold_pct"] = float(values["threshold_pct"])
    values["usage"] = int(values["usage"])
    values["usage_limit"] = int(values["usage_limit"])
    return Alert(**values)
