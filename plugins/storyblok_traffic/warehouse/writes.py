"""Bulk, idempotent upserts of one fetch: one transaction, ``INSERT ... ON CONFLICT DO UPDATE``.

A row is rewritten only when a value changed, so running a day again leaves the tables as they were
(``fetched_at`` included). ``total_bytes`` arrives later than the counts: a non-null value replaces
an earlier null, and a null never overwrites a known value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storyblok_traffic.model import DailyTraffic, FetchedTraffic
from storyblok_traffic.warehouse.tables import (
    org_traffic_daily,
    raw_responses,
    space_traffic_daily,
    usage_snapshots,
)

# Rows per INSERT statement: keeps each statement far below Postgres' 65,535 bind parameters.
CHUNK_ROWS = 5_000


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
    org_rows = [
        {
            "org": org,
            "day": day,
            "api_requests": b.api_requests,
            "total_bytes": b.total_bytes,
            "fetched_at": at,
        }
        for day, b in sorted(daily.org_days.items())
    ]
    space_rows = [
        {
            "org": org,
            "space_id": space_id,
            "day": day,
            "api_requests": b.api_requests,
            "total_bytes": b.total_bytes,
            "fetched_at": at,
        }
        for (space_id, day), b in sorted(daily.space_days.items())
    ]
    snapshot = {
        "org": org,
        "as_of": at.date(),
        "monthly_traffic_limit": report.monthly_traffic_limit,
        "yearly_traffic_limit": report.yearly_traffic_limit,
        "traffic_used_this_year": report.traffic_used_this_year,
        "requests_used_last_7_days": report.cumulated_traffic.requests_used_last_days,
        "fetched_at": at,
    }
    raw = {
        "org": org,
        "start_date": fetched.start_date,
        "end_date": fetched.end_date,
        "group_by": fetched.group_by,
        "fetched_at": at,
        "payload": fetched.payload,
    }
    return WriteCounts(
        org_days=upsert(conn, org_traffic_daily, org_rows, keep_known=("total_bytes",)),
        space_days=upsert(conn, space_traffic_daily, space_rows, keep_known=("total_bytes",)),
        snapshots=upsert(conn, usage_snapshots, [snapshot], keep_known=("requests_used_last_7_days",)),
        raw_responses=upsert(conn, raw_responses, [raw]),
    )


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keep_known: Iterable[str] = (),
    stamp: str = "fetched_at",
) -> int:
    """Multi-row upsert on the primary key; returns the rows inserted or changed.

    ``keep_known`` columns take the new value only when it is not null. ``stamp`` moves only with a change.
    """
    if not rows:
        return 0
    keys = [col.name for col in table.primary_key.columns]
    keep = set(keep_known)
    values = [col.name for col in table.columns if col.name not in keys and col.name != stamp]
    written = 0
    for start in range(0, len(rows), CHUNK_ROWS):
        stmt = pg_insert(table).values(list(rows[start : start + CHUNK_ROWS]))
        new, old = stmt.excluded, table.c
        set_: dict[str, Any] = {stamp: new[stamp]}
        changed = []
        for name in values:
            if name in keep:
                set_[name] = func.coalesce(new[name], old[name])
                changed.append(and_(new[name].is_not(None), old[name].is_distinct_from(new[name])))
            else:
                set_[name] = new[name]
                changed.append(old[name].is_distinct_from(new[name]))
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=set_, where=or_(*changed))
        written += conn.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount
    return written
