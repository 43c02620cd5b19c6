"""An organisation's week, for the weekly digest: the figures of ``/api/usage`` as of the week's last day
(``evaluation.figures.usage_figures``, the one computation the dashboard serves), and what only a week
has: each meter's week against the same days of the week before, the week's top spaces and files, the
notices told in it and those still open from before.

Every change compares like with like: the days of this week that are counted with the same weekdays
of the week before, and only when all of those are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection

from storyblok_traffic import documents as m
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.evaluation.figures import asset_rows, shown_day, usage_figures
from storyblok_traffic.rules.meters import METERS
from storyblok_traffic.rules.weeks import Week
from storyblok_traffic.warehouse import reads

TOP = 5
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class WeekMeter:
    """One meter over the week: its total over the days counted, and over the same weekdays of the week
    before (None: not all of those are counted); ``compared``: those days of this week (None: none)."""

    meter: str
    used: int
    days_counted: int
    before: int | None
    compared: list[date] | None

    @property
    def change_pct(self) -> float | None:
        return _change(self.used, self.before)


@dataclass(frozen=True)
class WeekSpace:
    space_id: str
    used: int
    share: float
    change_pct: float | None  # against the same days of the week before; None: not compared


@dataclass(frozen=True)
class Digest:
    """What the weekly digest tells, as computed once: every channel's words and the chart come from it."""

    org: str
    limit_meter: str
    week: Week
    usage: m.Usage  # /api/usage as of the week's last day (or the newest stored day, for a week not over)
    meters: list[WeekMeter]
    spaces: list[WeekSpace]  # by the limit meter, largest first; compared over the limit meter's days counted
    files: m.Assets | None  # /api/assets for the week, each file's change over the same weekdays; None: no files
    told: list[m.AlertRow]  # the notices told (or held) in the week, in the order they were told
    still_open: list[m.AlertRow]  # open, told before the week
    closed: list[m.ClosedPeriod]  # a billing period that ended in the week, as it ended
    in_progress: bool = False  # the week has not ended

    @property
    def missing_days(self) -> list[date]:
        """The week's days not stored (yet)."""
        stored = {r.day for r in self.usage.daily}
        return [d for d in self.week.days() if d.isoformat() not in stored]

    @property
    def bytes_missing(self) -> list[date]:
        """The week's stored days whose bandwidth Storyblok has not counted yet."""
        return [date.fromisoformat(r.day) for r in _rows(self.usage, self.week) if r.bytes is None]

    @property
    def complete(self) -> bool:
        return not self.missing_days and not self.bytes_missing


def week_digest(conn: Connection, org: OrgConfig, config: MonitorConfig, week: Week, today: date) -> Digest | None:
    """``org``'s digest of ``week`` as the warehouse holds it ``today``; None: nothing is stored for it."""
    as_of = shown_day(conn, org.org, week.last, today)
    if as_of is None or reads.newest_day(conn, org.org, as_of) is None:
        return None
    usage = usage_figures(conn, org, as_of, today, config.routing(org))
    meters = [_meter(usage, week, meter) for meter in METERS]
    first, last = week.first.isoformat(), week.last.isoformat()
    return Digest(
        org=org.org,
        limit_meter=org.limit_meter,
        week=week,
        usage=usage,
        meters=meters,
        spaces=_spaces(conn, org, week, next(w for w in meters if w.meter == org.limit_meter)),
        files=_files(conn, org, week) if org.asset_traffic else None,
        told=sorted((a for a in usage.alerts if first <= a.as_of <= last and a.group != "quiet"), key=_told_order),
        still_open=sorted((a for a in usage.alerts if a.group == "open" and a.as_of < first), key=_told_order),
        closed=[p for p in usage.previous_periods if first <= p.end <= last],
        in_progress=week.last >= today,
    )


def _rows(usage: m.Usage, week: Week) -> list[m.DailyRow]:
    first, last = week.first.isoformat(), week.last.isoformat()
    return [r for r in usage.daily if first <= r.day <= last]


def _amounts(usage: m.Usage, week: Week, meter: str) -> dict[date, int]:
    """The week's days whose ``meter`` is counted, with its amount."""
    found = {date.fromisoformat(r.day): r.requests if meter == "requests" else r.bytes for r in _rows(usage, week)}
    return {day: amount for day, amount in found.items() if amount is not None}


def _meter(usage: m.Usage, week: Week, meter: str) -> WeekMeter:
    """The week's days whose ``meter`` is counted, compared when the same weekdays of the week before all
    are counted."""
    now, before = _amounts(usage, week, meter), _amounts(usage, week.before, meter)
    if not now or any(day - WEEK not in before for day in now):
        return WeekMeter(meter, sum(now.values()), len(now), None, None)
    days = sorted(now)
    return WeekMeter(meter, sum(now.values()), len(now), sum(before[day - WEEK] for day in days), days)


def _spaces(conn: Connection, org: OrgConfig, week: Week, limit: WeekMeter) -> list[WeekSpace]:
    """The week's top spaces by the limit meter, each with its share of the organisation's week and its
    change over the days the organisation's is compared on (None: not compared)."""
    top = reads.top_spaces(conn, org.org, week.first, week.last, org.limit_meter, count=TOP)
    days, total = limit.compared, limit.used
    earlier: dict[str, int] = {}
    if days is not None and days == [days[0] + timedelta(days=n) for n in range(len(days))]:
        before = reads.top_spaces(conn, org.org, days[0] - WEEK, days[-1] - WEEK, org.limit_meter, count=10_000)
        earlier = dict(before)
    return [
        WeekSpace(space, used, round(used * 100 / total, 1) if total else 0.0, _change(used, earlier.get(space)))
        for space, used in top
    ]


def _files(conn: Connection, org: OrgConfig, week: Week) -> m.Assets:
    """``/api/assets`` for the week (its files counted through the newest day whose bandwidth is), each
    file's change over the same weekdays of the week before instead of the days just before those."""
    files = asset_rows(conn, org.org, week.first, week.last, None, TOP)
    if files.files_through is None:
        return files
    through = date.fromisoformat(files.files_through)
    stored = reads.asset_days_stored(conn, org.org, week.first - WEEK, through - WEEK)
    if len(stored) != (through - week.first).days + 1:  # not every day compared has its files
        return files.model_copy(update={"assets": [a.model_copy(update={"change_pct": None}) for a in files.assets]})
    ids = [a.asset_id for a in files.assets]
    before = reads.top_assets(conn, org.org, week.first - WEEK, through - WEEK, TOP, None, ids)
    earlier = {u.asset_id: u.total_bytes for u in before}
    rows = [a.model_copy(update={"change_pct": _change(a.bytes, earlier.get(a.asset_id))}) for a in files.assets]
    return files.model_copy(update={"assets": rows})


def _change(now: int, before: int | None) -> float | None:
    return round((now - before) * 100 / before, 1) if before else None


def _told_order(row: m.AlertRow) -> tuple[str, str]:
    return (row.as_of, row.crossed_on)
