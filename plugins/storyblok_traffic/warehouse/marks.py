"""Each organisation's evaluation bookkeeping: the days checked (``checked_days``) and what changed since.

Writes that change a stored day move ``evaluation_marks.changed_from`` in their own transaction, so
a check that runs after them (under the organisation's lock) always sees the change. See
``storyblok_traffic.rules.ordering``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storyblok_traffic.warehouse.tables import checked_days, evaluation_marks, org_traffic_daily


def changed_from(conn: Connection, org: str) -> date | None:
    m = evaluation_marks.c
    return conn.scalar(select(m.changed_from).where(m.org == org))


def checked_through(conn: Connection, org: str) -> date | None:
    c = checked_days.c
    return conn.scalar(select(func.max(c.day)).where(c.org == org))


def first_live_day(conn: Connection, org: str) -> date | None:
    """When monitoring started: the day after the newest day of a history load, once a daily check took a
    day (caught up or not: its alarms still open are told by the newest day's check, on their own days).
    For the notices of what was recorded before it; None without a history load."""
    c = checked_days.c
    loaded = conn.scalar(select(func.max(c.day)).where(c.org == org, c.history.is_(True)))
    if loaded is None:
        return None
    daily = conn.scalar(select(func.count()).where(c.org == org, c.history.is_(False), c.day > loaded))
    return loaded + timedelta(days=1) if daily else None


def checked(conn: Connection, org: str, days: Iterable[date]) -> dict[date, bool]:
    """Which of ``days`` were checked, with their quiet flag."""
    c = checked_days.c
    rows = conn.execute(select(c.day, c.quiet).where(c.org == org, c.day.in_(list(days))))
    return {day: quiet for day, quiet in rows}


def unchecked(conn: Connection, org: str, before: date) -> list[date]:
    """The days stored before ``before`` that were never checked, oldest first."""
    t, c = org_traffic_daily.c, checked_days.c
    never = ~exists().where(c.org == t.org, c.day == t.day)
    return list(conn.scalars(select(t.day).where(t.org == org, t.day < before, never).order_by(t.day)))


def checked_since(conn: Connection, org: str, first: date) -> dict[date, bool]:
    c = checked_days.c
    return {day: quiet for day, quiet in conn.execute(select(c.day, c.quiet).where(c.org == org, c.day >= first))}


def record_checked(conn: Connection, org: str, days: Mapping[date, bool], history: bool = False) -> None:
    """``days`` (day -> quiet) checked; ``history``: by a history load (a day once loaded stays history)."""
    if not days:
        return
    stmt = pg_insert(checked_days)
    # executemany: one cached statement for any number of days (a VALUES list is compiled anew each time)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["org", "day"],
            set_={"quiet": stmt.excluded.quiet, "history": checked_days.c.history | stmt.excluded.history},
        ),
        [{"org": org, "day": d, "quiet": q, "history": history} for d, q in days.items()],
    )


def evaluated(conn: Connection, org: str, at: datetime | None) -> None:
    """Every change is evaluated; ``at``: when a daily check completed (None: not a daily check)."""
    values: dict[str, object] = {"changed_from": None}
    if at is not None:
        values["checked_at"] = at
    stmt = pg_insert(evaluation_marks).values(org=org, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["org"], set_=values))


def note_change(conn: Connection, org: str, day: date) -> None:
    """The stored data of ``day`` changed: every evaluation from it on is out of date."""
    stmt = pg_insert(evaluation_marks).values(org=org, changed_from=day)
    m = evaluation_marks.c
    # LEAST ignores nulls: the first change sets the mark, later ones only move it back.
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["org"], set_={"changed_from": func.least(m.changed_from, day)})
    )


def silent_since(conn: Connection, org: str, now: datetime) -> datetime:
    """When ``org``'s last daily check completed; never: since the watchdog first saw it (now, the first time)."""
    m = evaluation_marks.c
    insert = pg_insert(evaluation_marks).values(org=org, watched_since=now)
    upsert = insert.on_conflict_do_update(
        index_elements=["org"], set_={"watched_since": func.coalesce(m.watched_since, now)}
    )
    checked_at, watched_since = conn.execute(upsert.returning(m.checked_at, m.watched_since)).one()
    return checked_at or watched_since
