"""One organisation's stored days, read once for a check that evaluates many days.

A check only writes alert state: the traffic rows and snapshots it reads stay as they are until it
ends, so reading them once serves every day it evaluates. A year of history otherwise asked the
same rows again some ten times a day (about 4,000 statements for 365 days).

Each method answers as its namesake in ``storyblok_traffic.warehouse.reads`` does.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, select

from storyblok_traffic.rules.usage import Limits
from storyblok_traffic.warehouse import reads
from storyblok_traffic.warehouse.engine import qualified
from storyblok_traffic.warehouse.tables import org_traffic_daily, space_traffic_daily

# (day, requests, bytes or None)
OrgDay = tuple[date, int, int | None]
# (space, day, requests, bytes or None)
SpaceDay = tuple[str, date, int, int | None]


class StoredDays:
    """The organisation's day rows and limits as one check found them.

    :param spaces_from: for checks of many days, also read at once, from this day on, the rows of
        every space with ``busy_from`` requests or more on one of those days (the spaces spike checks
        judge); None reads space rows day by day, as a daily check needs only a few.
    """

    def __init__(self, conn: Connection, org: str, spaces_from: date | None = None, busy_from: int = 0) -> None:
        self.conn, self.org = conn, org
        t = org_traffic_daily.c
        rows = conn.execute(select(t.day, t.api_requests, t.total_bytes).where(t.org == org).order_by(t.day))
        self.rows: list[OrgDay] = [(d, int(req), None if b is None else int(b)) for d, req, b in rows]
        self.days = [row[0] for row in self.rows]
        self.limits = reads.limit_history(conn, org)
        self.snapshot = reads.latest_snapshot(conn, org)
        self.spaces_from, self.busy_from = spaces_from, busy_from
        # space -> day -> row, and day -> space -> requests (which spaces are busy on a day)
        self.by_space: dict[str, dict[date, SpaceDay]] | None = None
        self.on_day: dict[date, dict[str, int]] = {}
        if spaces_from is not None:
            self.by_space = {}
            for row in _busy_space_rows(conn, org, spaces_from, busy_from):
                self.by_space.setdefault(row[0], {})[row[1]] = row
                self.on_day.setdefault(row[1], {})[row[0]] = row[2]

    def _between(self, first: date, last: date) -> list[OrgDay]:
        return self.rows[bisect_left(self.days, first) : bisect_right(self.days, last)]

    def daily_usage(self, first: date, last: date, metric: str) -> list[tuple[date, int]]:
        if metric == "requests":
            return [(d, req) for d, req, _ in self._between(first, last)]
        return [(d, size or 0) for d, _, size in self._between(first, last)]

    def org_days(self, first: date, last: date) -> list[OrgDay]:
        return self._between(first, last)

    def days_stored(self, first: date, last: date) -> set[date]:
        return {row[0] for row in self._between(first, last)}

    def newest_day(self, on_or_before: date) -> date | None:
        index = bisect_right(self.days, on_or_before)
        return self.days[index - 1] if index else None

    def oldest_day(self) -> date | None:
        return self.days[0] if self.days else None

    def limit_history(self) -> list[Limits]:
        return self.limits

    def latest_snapshot(self) -> tuple[date, int] | None:
        return self.snapshot

    def space_days(
        self, first: date, last: date, busy_from: int | None = None, also: Sequence[str] = ()
    ) -> list[SpaceDay]:
        if not self._holds(first, busy_from, also) or self.by_space is None or busy_from is None:
            return reads.space_days(self.conn, self.org, first, last, busy_from, also)
        busy = {space for space, req in self.on_day.get(last, {}).items() if req >= busy_from}
        wanted = busy | set(also)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        rows = []
        for space in wanted:
            series = self.by_space.get(space, {})
            rows += [row for d in days if (row := series.get(d)) is not None]
        return rows

    def _holds(self, first: date, busy_from: int | None, also: Sequence[str]) -> bool:
        """Whether the rows read at once answer this: every space (busy_from None) or an unread one is SQL's."""
        if self.by_space is None or self.spaces_from is None or busy_from is None:
            return False
        return first >= self.spaces_from and busy_from >= self.busy_from and all(s in self.by_space for s in also)


def _busy_space_rows(conn: Connection, org: str, first: date, busy_from: int) -> list[SpaceDay]:
    """Straight through the driver: SQLAlchemy's row handling doubled the time of many rows."""
    table = qualified(conn, space_traffic_daily.name)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        f"SELECT space_id, day, api_requests, total_bytes FROM {table} WHERE org = %(org)s AND day >= %(first)s"
        f" AND space_id IN (SELECT space_id FROM {table} WHERE org = %(org)s AND day >= %(first)s"
        " AND api_requests >= %(busy)s)",
        {"org": org, "first": first, "busy": busy_from},
    )
    return cursor.fetchall()
