"""One organisation's stored days, read once for a check that evaluates many days.

A check only writes alert state: the traffic rows and snapshots it reads stay as they are until it
ends, so reading them once serves every day it evaluates. A year of history otherwise asked the
same rows again some ten times a day (about 4,000 statements for 365 days).

Each method answers as its namesake in ``storyblok_traffic.warehouse.reads`` does.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, select

from storyblok_traffic.rules.usage import Limits
from storyblok_traffic.warehouse import reads
from storyblok_traffic.warehouse.engine import qualified
from storyblok_traffic.warehouse.tables import org_traffic_daily, space_traffic_daily

# (day, requests, bytes or None)
OrgDay = tuple[date, int, int | None]
# (requests, bytes or None) of one space on one day
SpaceDay = tuple[int, int | None]


class StoredDays:
    """The organisation's day rows and limits as one check found them.

    :param spaces_from: for checks of many days, also read at once, from this day on, the rows of
        every space with ``busy_from`` requests or more on one of those days (the spaces spike checks
        judge); None reads space rows day by day, as a daily check needs only a few.
    :param limits: the organisation's limit history, when the caller has read it already.
    """

    def __init__(
        self,
        conn: Connection,
        org: str,
        spaces_from: date | None = None,
        busy_from: int = 0,
        limits: list[Limits] | None = None,
    ) -> None:
        self.conn, self.org = conn, org
        t = org_traffic_daily.c
        rows = conn.execute(select(t.day, t.api_requests, t.total_bytes).where(t.org == org).order_by(t.day))
        self.rows: list[OrgDay] = [(d, int(req), None if b is None else int(b)) for d, req, b in rows]
        self.days = [row[0] for row in self.rows]
        self.no_bytes = [row[0] for row in self.rows if row[2] is None]  # days whose bytes are not in yet
        self._amounts: dict[str, dict[date, int]] = {}
        self._complete: dict[str, tuple[list[date], list[int]]] = {}  # meter -> its complete days, running sums
        self._by_day: dict[date, OrgDay] | None = None
        self.limits = reads.limit_history(conn, org) if limits is None else limits
        self.snapshot = reads.latest_snapshot(conn, org)
        self.spaces_from, self.busy_from = spaces_from, busy_from
        # space -> day -> row, and day -> space -> requests (which spaces are busy on a day)
        self.by_space: dict[str, dict[date, SpaceDay]] | None = None
        self.on_day: dict[date, dict[str, int]] = {}
        if spaces_from is not None:
            self.by_space = {}
            for space, day, requests, size in _busy_space_rows(conn, org, spaces_from, busy_from):
                self.by_space.setdefault(space, {})[day] = (requests, size)
                self.on_day.setdefault(day, {})[space] = requests

    def _between(self, first: date, last: date) -> list[OrgDay]:
        return self.rows[bisect_left(self.days, first) : bisect_right(self.days, last)]

    def daily_usage(self, first: date, last: date, meter: str) -> list[tuple[date, int]]:
        if meter == "requests":
            return [(d, req) for d, req, _ in self._between(first, last)]
        return [(d, size or 0) for d, _, size in self._between(first, last)]

    def amounts(self, meter: str) -> dict[date, int]:
        """Every stored day's amount of ``meter``, as ``daily_usage`` gives it."""
        found = self._amounts.get(meter)
        if found is None:
            found = self._amounts[meter] = dict(
                self.daily_usage(self.days[0], self.days[-1], meter) if self.days else []
            )
        return found

    def meter_total(self, meter: str, first: date, last: date) -> tuple[int, int]:
        """(sum, days) of ``meter`` over the days of ``first``..``last`` whose figure is in."""
        days, sums = self._running(meter)
        low, high = bisect_left(days, first), bisect_right(days, last)
        if high <= low:
            return 0, 0
        return sums[high - 1] - (sums[low - 1] if low else 0), high - low

    def day_reaching(self, meter: str, first: date, last: date, need: int | None) -> date | None:
        """The first day of ``first``..``last`` on which ``meter``'s total from ``first`` reached ``need``."""
        if not need:
            return None
        days, sums = self._running(meter)
        low, high = bisect_left(days, first), bisect_right(days, last)
        found = bisect_left(sums, (sums[low - 1] if low else 0) + need, low, high)
        return days[found] if found < high else None

    def newest_complete(self, meter: str, first: date, last: date) -> date | None:
        """The newest day of ``first``..``last`` whose ``meter`` figure is in."""
        days, _ = self._running(meter)
        index = bisect_right(days, last) - 1
        return days[index] if index >= 0 and days[index] >= first else None

    def _running(self, meter: str) -> tuple[list[date], list[int]]:
        """``meter``'s complete days and the running sum through each (built once per meter): a period's
        total, or the day it reached an amount, is then a binary search, not a walk over its days."""
        found = self._complete.get(meter)
        if found is None:
            days, sums, total = [], [], 0
            for day, requests, size in self.rows:
                amount = requests if meter == "requests" else size
                if amount is not None:
                    total += amount
                    days.append(day)
                    sums.append(total)
            found = self._complete[meter] = (days, sums)
        return found

    def days_missing_bytes(self, first: date, last: date) -> int:
        """Stored days of ``first``..``last`` whose bytes Storyblok has not reported yet."""
        return bisect_right(self.no_bytes, last) - bisect_left(self.no_bytes, first)

    def org_days(self, first: date, last: date) -> list[OrgDay]:
        return self._between(first, last)

    def by_day(self) -> dict[date, OrgDay]:
        """Every stored day's row, by day (built once)."""
        if self._by_day is None:
            self._by_day = {row[0]: row for row in self.rows}
        return self._by_day

    def days_stored(self, first: date, last: date) -> set[date]:
        return {row[0] for row in self._between(first, last)}

    def first_missing(self, first: date, last: date) -> date | None:
        """The first day of ``first``..``last`` that is not stored; None: all are."""
        start = bisect_left(self.days, first)
        span = (last - first).days + 1
        # Stored days are unique and sorted: the k-th one from ``start`` is first + k until the first hole.
        low, high = 0, span
        while low < high:
            middle = (low + high) // 2
            index = start + middle
            if index < len(self.days) and self.days[index] == first + timedelta(days=middle):
                low = middle + 1
            else:
                high = middle
        return None if low == span else first + timedelta(days=low)

    def newest_day(self, on_or_before: date) -> date | None:
        index = bisect_right(self.days, on_or_before)
        return self.days[index - 1] if index else None

    def oldest_day(self) -> date | None:
        return self.days[0] if self.days else None

    def limit_history(self) -> list[Limits]:
        return self.limits

    def latest_snapshot(self) -> tuple[date, int] | None:
        return self.snapshot

    def space_series(
        self, first: date, last: date, busy_from: int | None = None, also: Sequence[str] = ()
    ) -> dict[str, Mapping[date, SpaceDay]]:
        """Each space's days in ``first``..``last`` by day: the rows ``reads.space_days`` answers.

        A series read at once is the space's whole series, not a copy: look its days up, do not walk it.
        """
        if not self._holds(first, busy_from, also) or self.by_space is None or busy_from is None:
            series: dict[str, dict[date, SpaceDay]] = {}
            for space, day, requests, size in reads.space_days(self.conn, self.org, first, last, busy_from, also):
                series.setdefault(space, {})[day] = (requests, size)
            return dict(series)
        busy = [space for space, requests in self.on_day.get(last, {}).items() if requests >= busy_from]
        return {space: self.by_space[space] for space in (*busy, *also) if space in self.by_space}

    def _holds(self, first: date, busy_from: int | None, also: Sequence[str]) -> bool:
        """Whether the rows read at once answer this: every space (busy_from None) or an unread one is SQL's."""
        if self.by_space is None or self.spaces_from is None or busy_from is None:
            return False
        return first >= self.spaces_from and busy_from >= self.busy_from and all(s in self.by_space for s in also)


def complete_days(stored: StoredDays, meter: str, first: date, last: date) -> list[tuple[date, int]]:
    """(day, amount) of the stored days whose figure of ``meter`` is in: bytes come days after the requests."""
    found = ((d, requests if meter == "requests" else size) for d, requests, size in stored.org_days(first, last))
    return [(d, amount) for d, amount in found if amount is not None]


def _busy_space_rows(
    conn: Connection, org: str, first: date, busy_from: int
) -> list[tuple[str, date, int, int | None]]:
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
