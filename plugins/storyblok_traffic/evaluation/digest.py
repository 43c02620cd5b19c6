"""An organisation's week, for the weekly digest: the figures of ``/api/usage`` as of the week's last day
(``evaluation.figures.usage_figures``, the one computation the dashboard serves), and what only a week
has: each meter's week against the week before, the week's top spaces and files, its notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from storyblok_traffic import documents as m
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.evaluation.figures import asset_rows, shown_day, usage_figures
from storyblok_traffic.rules.meters import METERS
from storyblok_traffic.rules.weeks import Week
from storyblok_traffic.warehouse import reads

TOP = 5


@dataclass(frozen=True)
class WeekMeter:
    """One meter over the week and the week before; ``days_counted``: the week's days with its figure."""

    meter: str
    used: int
    before: int | None  # None: the week before is not complete for this meter
    days_counted: int

    @property
    def change_pct(self) -> float | None:
        return round((self.used - self.before) * 100 / self.before, 1) if self.before else None


@dataclass(frozen=True)
class WeekSpace:
    space_id: str
    used: int
    share: float
    change_pct: float | None  # against the week before; None: it used nothing then


@dataclass(frozen=True)
class Digest:
    """What the weekly digest tells, as computed once: every channel's words and the chart come from it."""

    org: str
    limit_meter: str
    week: Week
    usage: m.Usage  # /api/usage as of the week's last day (or the newest stored day, for a week not over)
    meters: list[WeekMeter]
    spaces: list[WeekSpace]  # by the limit meter, largest first
    files: m.Assets | None  # /api/assets for the week; None: the organisation loads no files
    notices: list[m.AlertRow]  # told or due in the week, and any still open, in the dashboard's order

    @property
    def missing_days(self) -> list[date]:
        """The week's days not stored (yet)."""
        stored = {date.fromisoformat(r.day) for r in self.usage.daily}
        return [d for d in self.week.days() if d not in stored]

    @property
    def bytes_missing(self) -> list[date]:
        """The week's stored days whose bandwidth Storyblok has not counted yet."""
        return [date.fromisoformat(r.day) for r in self._days(self.week) if r.bytes is None]

    @property
    def complete(self) -> bool:
        return not self.missing_days and not self.bytes_missing

    def _days(self, week: Week) -> list[m.DailyRow]:
        first, last = week.first.isoformat(), week.last.isoformat()
        return [r for r in self.usage.daily if first <= r.day <= last]


def week_digest(conn: Connection, org: OrgConfig, config: MonitorConfig, week: Week, today: date) -> Digest | None:
    """``org``'s digest of ``week`` as the warehouse holds it ``today``; None: nothing is stored for it."""
    as_of = shown_day(conn, org.org, week.last, today)
    if as_of is None or reads.newest_day(conn, org.org, as_of) is None:
        return None
    usage = usage_figures(conn, org, as_of, today, config.routing(org))
    files = asset_rows(conn, org.org, week.first, week.last, None, TOP) if org.asset_traffic else None
    meters = [_meter(usage, week, meter) for meter in METERS]
    total = next(w.used for w in meters if w.meter == org.limit_meter)
    return Digest(
        org=org.org,
        limit_meter=org.limit_meter,
        week=week,
        usage=usage,
        meters=meters,
        spaces=_spaces(conn, org, week, total),
        files=files,
        notices=[a for a in usage.alerts if _of_week(a, week)],
    )


def _meter(usage: m.Usage, week: Week, meter: str) -> WeekMeter:
    def amounts(w: Week) -> list[int]:
        first, last = w.first.isoformat(), w.last.isoformat()
        rows = [r for r in usage.daily if first <= r.day <= last]
        found = [r.requests if meter == "requests" else r.bytes for r in rows]
        return [a for a in found if a is not None]

    now, before = amounts(week), amounts(week.before)
    return WeekMeter(meter, sum(now), sum(before) if len(before) == 7 else None, len(now))


def _spaces(conn: Connection, org: OrgConfig, week: Week, total: int) -> list[WeekSpace]:
    """The week's top spaces by the limit meter, each with its share of the organisation's ``total``."""
    top = reads.top_spaces(conn, org.org, week.first, week.last, org.limit_meter, count=TOP)
    before = week.before
    earlier = dict(reads.top_spaces(conn, org.org, before.first, before.last, org.limit_meter, count=10_000))
    return [
        WeekSpace(
            space_id=space,
            used=used,
            share=round(used * 100 / total, 1) if total else 0.0,
            change_pct=round((used - earlier[space]) * 100 / earlier[space], 1) if earlier.get(space) else None,
        )
        for space, used in top
    ]


def _of_week(row: m.AlertRow, week: Week) -> bool:
    """A notice of the week: told (or due) on one of its days, or still open; never one recorded quietly."""
    if row.group == "quiet":
        return False
    first, last = week.first.isoformat(), week.last.isoformat()
    return row.group == "open" or first <= row.as_of <= last or first <= row.crossed_on <= last
