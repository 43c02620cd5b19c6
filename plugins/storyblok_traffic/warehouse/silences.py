"""Silences in ``silences``, every change to one in ``silence_changes``, and what they do to notices.

A silence is made, expired or synced from the configuration here; ``apply`` is what a check and a
delivery run before anything goes out: a pending notice that a silence holds is recorded as silenced
(with the silence's id) and sent nowhere, and an alarm silenced by a silence that has ended since and
still open is due again, once, saying so (its figures name the silence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, tuple_, update

from storyblok_traffic.errors import SilenceError
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.notices import still_open
from storyblok_traffic.rules.silences import CONFIGURATION, Silence, silencing
from storyblok_traffic.warehouse import alerts, reads
from storyblok_traffic.warehouse.tables import silence_changes, silences, superseded_notices, usage_alerts

# The scope of the lock that numbers silences (one number per silence, whichever organisation).
_NUMBERING = "(silences)"


@dataclass(frozen=True)
class Change:
    """One change to a silence: who did what, when."""

    silence_id: str
    at: datetime
    who: str
    what: str


def add(conn: Connection, silence: Silence, now: datetime) -> Silence:
    """Store a new silence made in the dashboard or with the CLI; it gets the next number as its id."""
    alerts.lock_org(conn, _NUMBERING)
    ids = conn.scalars(select(silences.c.id).where(silences.c.id.regexp_match("^[0-9]+$"))).all()
    made = replace(silence, id=str(max((int(i) for i in ids), default=0) + 1))
    _insert(conn, made, now, f"made ({made.source}): {made.describe()} until {_when(made.ends_at)}")
    return made


def expire(conn: Connection, org: str | None, silence_id: str, who: str, now: datetime, source: str) -> Silence:
    """End a silence now; refused (naming why) when there is none of that id, or it has ended already."""
    found = load(conn, org, ids=[silence_id])
    if not found:
        where = f" for {org}" if org else ""
        raise SilenceError(
            f"no silence {silence_id}{where} (`storyblok-traffic silence list` shows them)", missing=True
        )
    silence = found[0]
    if silence.source == CONFIGURATION:
        raise SilenceError(f"silence {silence_id} is kept in the configuration file: remove it there to end it")
    if silence.ended_at <= now:
        raise SilenceError(f"silence {silence_id} ended already, at {_when(silence.ended_at)}")
    s = silences.c
    conn.execute(update(silences).where(s.id == silence_id).values(expired_at=now, expired_by=who))
    _change(conn, silence_id, now, who, f"expired ({source})")
    return replace(silence, expired_at=now, expired_by=who)


def sync_configured(conn: Connection, org: str, configured: Sequence[Silence], now: datetime) -> None:
    """The configuration's silences of ``org`` as stored: a new one is added, one gone from the file is
    expired (each change kept, as any other)."""
    s = silences.c
    stored = {x.id: x for x in load(conn, org, source=CONFIGURATION)}
    for silence in configured:
        if silence.id not in stored:
            _insert(
                conn, silence, now, f"read from the configuration: {silence.describe()} until {_when(silence.ends_at)}"
            )
    gone = [x for x in stored.values() if x.id not in {c.id for c in configured} and x.ended_at > now]
    for silence in gone:
        conn.execute(update(silences).where(s.id == silence.id).values(expired_at=now, expired_by=CONFIGURATION))
        _change(conn, silence.id, now, CONFIGURATION, "expired: gone from the configuration")


def load(
    conn: Connection, org: str | None, ids: Sequence[str] | None = None, source: str | None = None
) -> list[Silence]:
    """The silences of ``org`` (None: every organisation), the newest first."""
    s = silences.c
    query = select(silences).order_by(s.starts_at.desc(), s.id.desc())
    if org is not None:
        query = query.where(s.org == org)
    if ids is not None:
        query = query.where(s.id.in_(ids))
    if source is not None:
        query = query.where(s.source == source)
    return [_silence(row) for row in conn.execute(query).mappings()]


def changes(conn: Connection, ids: Sequence[str]) -> list[Change]:
    """Every change to these silences, oldest first."""
    c = silence_changes.c
    rows = conn.execute(select(silence_changes).where(c.silence_id.in_(ids)).order_by(c.at, c.silence_id))
    return [Change(**row) for row in rows.mappings()]


def apply(conn: Connection, org: str, now: datetime) -> None:
    """Before anything of ``org`` goes out (its lock held): alarms whose silence ended while they are
    still open are due again, and the notices a silence holds now are silenced."""
    if conn.scalar(select(silences.c.id).where(silences.c.org == org).limit(1)) is None:
        return  # no silence was ever made for it: one cheap read per check and delivery
    _reopen(conn, org, now)
    holding = [x for x in load(conn, org) if x.holds(now)]
    if not holding:
        return
    held = [(n, silencing(holding, n, now)) for n in alerts.pending(conn, org)]
    a = usage_alerts.c
    for notice, silence in held:
        if silence is not None:
            conn.execute(
                update(usage_alerts)
                .where(tuple_(*alerts.key_of(a)) == tuple_(*alerts.db_key(notice)))
                .values(status=st.SILENCED, silence_id=silence.id)
            )
    # A superseded notice a silence holds is not sent either: its row tells what was silenced.
    muted = [n for n in alerts.superseded(conn, org) if silencing(holding, n, now) is not None]
    s = superseded_notices.c
    for notice in muted:
        conn.execute(
            delete(superseded_notices).where(
                tuple_(*alerts.key_of(s), s.notice_seq) == tuple_(*alerts.db_key(notice), notice.notice_seq)
            )
        )


def _reopen(conn: Connection, org: str, now: datetime) -> None:
    """Silenced alarms whose silence has ended and that still hold today: due again, their figures naming
    the silence (the message says it ended); each once (its row is no longer silenced afterwards)."""
    a, s = usage_alerts.c, silences.c
    ended = func.least(s.ends_at, func.coalesce(s.expired_at, s.ends_at))
    rows = conn.execute(
        select(usage_alerts, s.reason, ended.label("silence_ended_at"))
        .join(silences, s.id == a.silence_id)
        .where(a.org == org, a.status == st.SILENCED, a.notice == st.ALARM, ended <= now)
    ).mappings()
    newest = reads.newest_day(conn, org, now.date())
    for row in rows:
        values = dict(row)
        reason, ended_at = values.pop("reason"), values.pop("silence_ended_at")
        notice = alerts.alert_of(values)
        if not still_open(notice, now.date(), newest):
            continue
        after = {"id": notice.silence_id, "reason": reason, "ended_at": ended_at.astimezone(UTC).isoformat()}
        figures = {**(notice.figures or {}), "after_silence": after}
        conn.execute(
            update(usage_alerts)
            .where(tuple_(*alerts.key_of(a)) == tuple_(*alerts.db_key(notice)))
            .values(status=st.PENDING, notice_seq=notice.notice_seq + 1, silence_id=None, figures=figures)
        )


def _insert(conn: Connection, silence: Silence, at: datetime, what: str) -> None:
    conn.execute(
        insert(silences).values(
            id=silence.id,
            org=silence.org,
            matchers={k: sorted(v) for k, v in silence.match.items()},
            starts_at=silence.starts_at,
            ends_at=silence.ends_at,
            reason=silence.reason,
            created_by=silence.created_by,
            source=silence.source,
        )
    )
    _change(conn, silence.id, at, silence.created_by, what)


def _change(conn: Connection, silence_id: str, at: datetime, who: str, what: str) -> None:
    conn.execute(insert(silence_changes).values(silence_id=silence_id, at=at, who=who, what=what))


def _silence(row: Any) -> Silence:
    values = dict(row)
    values["match"] = {k: frozenset(v) for k, v in values.pop("matchers").items()}
    return Silence(**values)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
