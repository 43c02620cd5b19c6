"""Bulk, idempotent upserts of one fetch: one transaction, ``INSERT ... ON CONFLICT DO UPDATE``.

Small batches (a day's rows) go as multi-row ``INSERT``s. Large ones (history) go by binary ``COPY``:
straight into the table when none of their days is stored yet (a first load), else into a temporary
table, merged with one ``INSERT ... SELECT`` of the rows that are new or differ. The answer itself
is stored as the JSON text it came as.

A row is rewritten only when a value changed, so running a day again leaves the tables as they were
(``fetched_at`` included), and unchanged rows are not even locked. ``total_bytes`` arrives later than
the counts: a non-null value replaces an earlier null, and a null never overwrites a known value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storyblok_traffic.model import DailyTraffic
from storyblok_traffic.warehouse import marks
from storyblok_traffic.warehouse.engine import qualified
from storyblok_traffic.warehouse.tables import (
    org_traffic_daily,
    raw_responses,
    space_traffic_daily,
    usage_snapshots,
)
from storyblok_traffic.xcom import FetchedTraffic

# Rows per INSERT statement: keeps each statement far below Postgres' 65,535 bind parameters.
CHUNK_ROWS = 5_000
# From this many rows on, go by COPY: below it the extra statements cost more than they save.
COPY_FROM_ROWS = 2_000
DAY_COUNTS_KEEP_KNOWN = ("total_bytes",)


@dataclass(frozen=True)
class WriteCounts:
    """Rows inserted or changed per table (unchanged rows are not counted)."""

    org_days: int
    space_days: int
    snapshots: int
    raw_responses: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def write_fetch(conn: Connection, fetched: FetchedTraffic, daily: DailyTraffic) -> WriteCounts:
    """Write one validated fetch; the caller owns the transaction."""
    org, at = fetched.org, fetched.fetched_at
    report = daily.report
    org_days, space_days = write_days(conn, org, daily, at)
    snapshot = {
        "org": org,
        "as_of": at.date(),
        "monthly_traffic_limit": report.monthly_traffic_limit,
        "yearly_traffic_limit": report.yearly_traffic_limit,
        "traffic_used_this_year": report.traffic_used_this_year,
        "requests_used_last_7_days": report.cumulated_traffic.requests_used_last_days,
        "fetched_at": at,
    }
    return WriteCounts(
        org_days=org_days,
        space_days=space_days,
        # A snapshot is dated the day it is fetched, after every day a check can have evaluated: a new
        # limit never puts an evaluated day out of date, so it does not move the evaluation mark.
        snapshots=upsert(conn, usage_snapshots, [snapshot], keep_known=("requests_used_last_7_days",)),
        raw_responses=write_answer(conn, fetched),
    )


def write_answer(conn: Connection, fetched: FetchedTraffic) -> int:
    """Keep the answer as it came (``raw_responses``), under its endpoint and request; returns 1 if written."""
    raw = {
        "org": fetched.org,
        "start_date": fetched.start_date,
        "end_date": fetched.end_date,
        "group_by": fetched.group_by,
        "fetched_at": fetched.fetched_at,
        "payload": _as_json(fetched.payload),
        "endpoint": fetched.endpoint,
    }
    return upsert(conn, raw_responses, [raw])


def write_days(conn: Connection, org: str, daily: DailyTraffic, at: datetime) -> tuple[int, int]:
    """The org's and its spaces' day rows of one answer fetched ``at``; returns the rows written of each.

    The earliest day that changed moves the org's evaluation mark, in the same transaction. Rows go
    to the database as tuples in the tables' column order, straight from the parsed buckets.
    """
    org_rows = [(org, day, b.api_requests, b.total_bytes, at) for day, b in daily.org_days.items()]
    space_rows = [(org, space, day, b.api_requests, b.total_bytes, at) for (space, day), b in daily.space_days.items()]
    changed: list[date] = []
    written = (
        upsert_days(conn, org_traffic_daily, org, org_rows, changed),
        upsert_days(conn, space_traffic_daily, org, space_rows, changed),
    )
    if changed:
        marks.note_change(conn, org, min(changed))
    return written


def upsert_days(
    conn: Connection, table: Table, org: str, rows: Sequence[tuple[Any, ...]], changed_days: list[date]
) -> int:
    """Day rows of ``org`` as tuples in ``table``'s column order; returns the rows inserted or changed.

    ``changed_days`` gets the earliest day written. Days none of which is stored yet are copied
    straight into the table, unless a concurrent writer stores one first: then they are merged.
    """
    if len(rows) < COPY_FROM_ROWS:
        # In key order, so that concurrent writers of one organisation take the row locks in one order.
        names = [c.name for c in table.columns]
        key = itemgetter(*(names.index(c.name) for c in table.primary_key.columns))
        dicts = [dict(zip(names, row, strict=True)) for row in sorted(rows, key=key)]
        return upsert(conn, table, dicts, DAY_COUNTS_KEEP_KNOWN, changed_days=changed_days)
    at = [c.name for c in table.columns].index("day")
    first, last = min(row[at] for row in rows), max(row[at] for row in rows)
    if not _any_stored(conn, table, org, first, last):
        try:
            with conn.begin_nested():
                copy_rows(conn, qualified(conn, table.name), table, rows)
        except UniqueViolation:  # straight from the driver: COPY goes around SQLAlchemy
            pass
        else:
            changed_days.append(first)
            return len(rows)
    # Only this organisation's stored rows of these days are compared: one range of the primary key.
    stored = table.alias("stored")
    within = and_(stored.c.org == org, stored.c.day.between(first, last))
    return _staged_upsert(conn, table, rows, DAY_COUNTS_KEEP_KNOWN, "fetched_at", changed_days, (stored, within))


def _any_stored(conn: Connection, table: Table, org: str, first: date, last: date) -> bool:
    return bool(conn.scalar(select(exists().where(table.c.org == org, table.c.day.between(first, last)))))


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keep_known: Iterable[str] = (),
    stamp: str = "fetched_at",
    changed_days: list[date] | None = None,
) -> int:
    """Upsert on the primary key; returns the rows inserted or changed.

    ``keep_known`` columns take the new value only when it is not null. ``stamp`` moves only with a change.
    Keys must be unique within ``rows``. ``changed_days`` (tables with a ``day``) gets the earliest changed day.
    """
    if not rows:
        return 0
    if len(rows) >= COPY_FROM_ROWS and not any(isinstance(c.type, JSON) for c in table.columns):
        names = [c.name for c in table.columns]
        return _staged_upsert(conn, table, [[row[n] for n in names] for row in rows], keep_known, stamp, changed_days)
    written = 0
    for start in range(0, len(rows), CHUNK_ROWS):
        stmt = pg_insert(table).values(list(rows[start : start + CHUNK_ROWS]))
        written += _execute_merge(conn, table, stmt, keep_known, stamp, changed_days)
    return written


def _execute_merge(
    conn: Connection,
    table: Table,
    stmt: Insert,
    keep_known: Iterable[str],
    stamp: str,
    changed_days: list[date] | None = None,
) -> int:
    """Finish ``INSERT ...`` with ``ON CONFLICT DO UPDATE`` that rewrites only rows whose values change."""
    keys = [col.name for col in table.primary_key.columns]
    keep = set(keep_known)
    new, old = stmt.excluded, table.c
    set_: dict[str, Any] = {stamp: new[stamp]}
    for name in _values(table, stamp):
        set_[name] = func.coalesce(new[name], old[name]) if name in keep else new[name]
    merge = stmt.on_conflict_do_update(index_elements=keys, set_=set_, where=_differs(table, old, new, keep, stamp))
    if changed_days is None:
        return int(conn.execute(merge, execution_options={"preserve_rowcount": True}).rowcount)
    # One row per written row would be wasted here: the earliest day is all the mark needs.
    written = merge.returning(table.c.day).cte("written")
    count, first = conn.execute(select(func.count(), func.min(written.c.day))).one()
    if first is not None:
        changed_days.append(first)
    return int(count)


def _values(table: Table, stamp: str) -> list[str]:
    keys = {col.name for col in table.primary_key.columns}
    return [col.name for col in table.columns if col.name not in keys and col.name != stamp]


def _differs(table: Table, old: Any, new: Any, keep: set[str], stamp: str) -> ColumnElement[bool]:
    """Whether ``new`` would change the stored row ``old``: a null never replaces a known ``keep`` value."""
    changes = []
    for name in _values(table, stamp):
        before, after = old[name], new[name]
        if isinstance(table.c[name].type, JSON):  # json has no equality: its text is compared
            before, after = cast(before, Text), cast(after, Text)
        if name in keep:
            changes.append(and_(after.is_not(None), before.is_distinct_from(after)))
        else:
            changes.append(before.is_distinct_from(after))
    return or_(*changes)


def _staged_upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Sequence[Any]],
    keep_known: Iterable[str],
    stamp: str,
    changed_days: list[date] | None,
    stored_rows: tuple[Any, ColumnElement[bool]] | None = None,
) -> int:
    """COPY into a temporary table, then insert the rows that are new or differ, in key order.

    Joining first leaves unchanged rows alone: ``ON CONFLICT DO UPDATE ... WHERE`` would lock each
    of them (a write to its page) even when it updates nothing. The conflict clause stays for rows a
    concurrent writer adds meanwhile. ``stored_rows``: an alias of ``table`` and a condition that
    narrows the stored rows worth comparing (without it, the join may read the whole table).
    """
    stage = Table(f"stage_{table.name}", MetaData(), *(Column(c.name, c.type) for c in table.columns), schema="pg_temp")
    stage_rows(conn, table, rows)
    keys = [col.name for col in table.primary_key.columns]
    stored: Any = stored_rows[0] if stored_rows else table.alias("stored")
    within = stored_rows[1] if stored_rows else None
    on = [stored.c[k] == stage.c[k] for k in keys] + ([within] if within is not None else [])
    joined = stage.outerjoin(stored, and_(*on))
    new_or_changed = or_(stored.c[keys[0]].is_(None), _differs(table, stored.c, stage.c, set(keep_known), stamp))
    rows_to_write = select(*stage.c).select_from(joined).where(new_or_changed).order_by(*(stage.c[k] for k in keys))
    stmt = pg_insert(table).from_select([c.name for c in table.columns], rows_to_write)
    return _execute_merge(conn, table, stmt, keep_known, stamp, changed_days)


def stage_rows(conn: Connection, table: Table, rows: Iterable[Sequence[Any]], name: str = "") -> str:
    """``rows`` (in ``table``'s column order) copied into a temporary table shaped like ``table``, dropped
    at commit: ``pg_temp.stage_<name or table's name>``, which this returns."""
    stage = f"stage_{name or table.name}"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{stage}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} (LIKE {qualified(conn, table.name)}) ON COMMIT DROP")
    copy_rows(conn, f"pg_temp.{stage}", table, rows)
    return f"pg_temp.{stage}"


def copy_rows(conn: Connection, target: str, table: Table, rows: Iterable[Sequence[Any]]) -> None:
    """Binary COPY of ``rows`` (in ``table``'s column order) into ``target``: about four times faster than text."""
    columns = ", ".join(c.name for c in table.columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_copy_type(c) for c in table.columns])
        for row in rows:
            copy.write_row(row)


def _copy_type(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    for sql_type, name in (
        (BigInteger, "int8"),
        (Integer, "int4"),
        (Date, "date"),
        (Numeric, "numeric"),
        (Boolean, "bool"),
    ):
        if isinstance(kind, sql_type):
            return name
    return "text"


def _as_json(payload: Any) -> Any:
    """A JSON text goes to Postgres as it came, only checked there; a decoded value is serialised."""
    if isinstance(payload, str):
        return cast(literal(payload, Text), JSON)
    return payload
