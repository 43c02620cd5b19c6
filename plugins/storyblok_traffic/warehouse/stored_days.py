"""One organisation's stored days, read once for a check that evaluates many days.

A check only writes alert state: the traffic rows and snapshots it reads stay as they are until it
ends, so reading them once serves every day it evaluates. A year of history otherwise asked the
same rows again some ten times a day (about 4,000 statements for 365 days).

The rows come from ``storyblok_traffic.warehouse.reads``, the one home of the warehouse's statements;
this holds none of its own, and answers each question from the rows in memory.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from itertools import accumulate
from operator import itemgetter

from sqlalchemy import Connection

from storyblok_traffic.rules.usage import Limits
from storyblok_traffic.warehouse import reads

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
        *,
        since: date | None = None,
        rows: list[OrgDay] | None = None,
    ) -> None:
        self.conn, self.org, self.since = conn, org, since
        self.rows: list[OrgDay] = reads.org_days(conn, org, since or date.min, date.max) if rows is None else rows
        self.days = list(map(itemgetter(0), self.rows))
        self.no_bytes = [row[0] for row in self.rows if row[2] is None]  # days whose bytes are not in yet
        self._amounts: dict[str, dict[date, int]] = {}
        self._complete: dict[str, tuple[list[date], list[int]]] = {}  # meter -> its complete days, running sums
        self._by_day: dict[date, OrgDay] | None = None
        self.limits = reads.limit_history(conn, org) if limits is None else limits
        self._snapshot: tuple[date, int] | None = None
        self._snapshot_read = False  # read when asked: only the reconciliation asks
        self.spaces_from, self.busy_from = spaces_from, busy_from
        # space -> day -> row, and day -> space -> requests (which spaces are busy on a day)
        self.by_space: dict[str, dict[date, SpaceDay]] | None = None
        self.on_day: dict[date, dict[str, int]] = {}
        if spaces_from is not None:
            self.by_space = {}
            for space, day, requests, size in reads.busy_space_rows(conn, org, spaces_from, busy_from):
                self.by_space.setdefault(space, {})[day] = (requests, size)
                self.on_day.setdefault(day, {})[space] = requests

    def _from(self, first: date) -> None:
        """Rows read from ``since`` on answer nothing about older days: asking is a bug, not an empty answer."""
        if self.since is not None and first < self.since:
            raise ValueError(f"{self.org}'s days were read from {self.since} on, not from {first}")

    def _between(self, first: date, last: date) -> list[OrgDay]:
        self._from(first)
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
        self._from(first)
        days, sums = self._running(meter)
        low, high = bisect_left(days, first), bisect_right(days, last)
        if high <= low:
            return 0, 0
        return sums[high - 1] - (sums[low - 1] if low else 0), high - low

    def day_reaching(self, meter: str, first: date, last: date, need: int | None) -> date | None:
        """The first day of ``first``..``last`` on which ``meter``'s total from ``first`` reached ``need``."""
        if not need:
            return None
        self._from(first)
        days, sums = self._running(meter)
        low, high = bisect_left(days, first), bisect_right(days, last)
        found = bisect_left(sums, (sums[low - 1] if low else 0) + need, low, high)
        return days[found] if found < high else None

    def newest_complete(self, meter: str, first: date, last: date) -> date | None:
        """The newest day of ``first``..``last`` whose ``meter`` figure is in."""
        self._from(first)
        days, _ = self._running(meter)
        index = bisect_right(days, last) - 1
        return days[index] if index >= 0 and days[index] >= first else None

    def _running(self, meter: str) -> tuple[list[date], list[int]]:
        """``meter``'s complete days and the running sum through each (built once per meter): a period's
        total, or the day it reached an amount, is then a binary search, not a walk over its days."""
        found = self._complete.get(meter)
        if found is None:
            if meter == "requests":  # always in: every day
                found = (self.days, list(accumulate(map(itemgetter(1), self.rows))))
            else:
                complete = [row for row in self.rows if row[2] is not None]
                found = (list(map(itemgetter(0), complete)), list(accumulate(map(itemgetter(2), complete))))
            self._complete[meter] = found
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
        self._from(first)
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
        self._from(date.min)
        return self.days[0] if self.days else None

    def limit_history(self) -> list[Limits]:
        return self.limits

    def latest_snapshot(self) -> tuple[date, int] | None:
        if not self._snapshot_read:
            self._snapshot, self._snapshot_read = reads.latest_snapshot(self.conn, self.org), True
        return self._snapshot

    def space_series(
        self,
        first: date,
        last: date,
        busy_from: int | None = None,
        also: Sequence[str] = (),
        only: Sequence[date] | None = None,
    ) -> dict[str, Mapping[date, SpaceDay]]:
        """Each space's days in ``first``..``last`` by day: the rows ``reads.space_days`` answers (``only``:
        of those days alone, when they are not in memory).

        A series read at once is the space's whole series, not a copy: look its days up, do not walk it.
        """
        if not self.holds(first, busy_from, also) or self.by_space is None or busy_from is None:
            series: dict[str, dict[date, SpaceDay]] = {}
            found = reads.space_days(self.conn, self.org, first, last, busy_from, also, only)
            for space, day, requests, size in found:
                series.setdefault(space, {})[day] = (requests, size)
            return dict(series)
        busy = [space for space, requests in self.on_day.get(last, {}).items() if requests >= busy_from]
        return {space: self.by_space[space] for space in (*busy, *also) if space in self.by_space}

    def holds(self, first: date, busy_from: int | None, also: Sequence[str]) -> bool:
        """Whether the space rows read at once answer this (every space, busy_from None, is SQL's)."""
        if self.by_space is None or self.spaces_from is None or busy_from is None:
            return False
        return first >= self.spaces_from and busy_from >= self.busy_from and all(s in self.by_space for s in also)


def stored_from(conn: Connection, since: Mapping[str, date], limits: Mapping[str, Limits]) -> dict[str, StoredDays]:
    """Each organisation's days from its own day in ``since`` on, in one statement whatever the number of
    organisations and the years stored (the overview's read: a row costs its periods' days, not its
    history); its limit history is ``limits`` (the snapshot in force on its newest day, say)."""
    rows = reads.org_days_from(conn, since)
    return {
        org: StoredDays(conn, org, limits=[limits[org]] if org in limits else [], since=first, rows=rows[org])
        for org, first in since.items()
    }


def complete_days(stored: StoredDays, meter: str, first: date, last: date) -> list[tuple[date, int]]:
    """(day, amount) of the stored days whose figure of ``meter`` is in: bytes come days after the requests."""
    found = ((d, requests if meter == "requests" else size) for d, requests, size in stored.org_days(first, last))
    return [(d, amount) for d, amount in found if amount is not None]
