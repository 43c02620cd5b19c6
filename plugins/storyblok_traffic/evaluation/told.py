"""The figures a notice tells beyond its row, read when it becomes due and stored with it
(``rules.told``): its period's top spaces, the days missing before its crossing, when monitoring
started, the bill, and the billing period that closed while the checks caught up.

Read once per day that has notices due (a quiet day reads nothing), in the check's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from statistics import median

import msgspec
from sqlalchemy import Connection

from storyblok_traffic.bill_document import bill_document
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.meters import BillFigures, bill_figures
from storyblok_traffic.rules import told
from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    ALARM,
    DATA_PERIOD,
    FORECAST,
    MONITOR_PERIOD,
    OVERAGE,
    PENDING,
    SPIKE,
    Alert,
)
from storyblok_traffic.rules.asset_use import AssetUse
from storyblok_traffic.rules.periods import window_of
from storyblok_traffic.rules.usage import limit_in_force
from storyblok_traffic.warehouse import alerts, marks, reads
from storyblok_traffic.warehouse.stored_days import StoredDays

TOP_SPACES = 3
TOP_ASSETS = 3


def with_figures(
    conn: Connection, org: OrgConfig, day: date, changed: Sequence[Alert], stored: StoredDays, billed: BillFigures
) -> list[Alert]:
    """``changed`` with the figures of each notice that became due on ``day`` (the others keep theirs: a
    notice told keeps what it told)."""
    if not any(a.status == PENDING for a in changed):
        return list(changed)
    live_since = marks.first_live_day(conn, org.org)
    shared = told.Figures(
        limit_meter=org.limit_meter,
        live_since=live_since,
        bill=_bill(billed),
        closed=_closed(conn, org, day, stored, billed, live_since),
    )
    return [replace(a, figures=_own(conn, org, a, shared, stored)) if a.status == PENDING else a for a in changed]


def _own(conn: Connection, org: OrgConfig, a: Alert, shared: told.Figures, stored: StoredDays) -> dict[str, object]:
    top: tuple[tuple[str, int], ...] = ()
    not_in = 0
    if a.kind in (ACTUAL, FORECAST) and a.period not in (DATA_PERIOD, MONITOR_PERIOD):
        meter = a.meter or shared.limit_meter
        top = tuple(reads.top_spaces(conn, a.org, a.period_start, a.as_of, meter, TOP_SPACES))
        if meter == "bytes":
            not_in = stored.days_missing_bytes(a.period_start, a.as_of)
    unknown = 0
    if a.kind == ACTUAL and a.notice == ALARM and a.crossed_on > a.period_start:
        before = stored.days_stored(a.period_start, a.crossed_on - timedelta(days=1))
        unknown = (a.crossed_on - a.period_start).days - len(before)
    files, no_files, through = files_of(conn, org, a) if (a.meter or shared.limit_meter) == "bytes" else ((), 0, None)
    found = msgspec.structs.replace(
        shared,
        top_spaces=top,
        unknown_before=unknown,
        bytes_not_in=not_in,
        top_assets=files,
        asset_days_missing=no_files,
        files_through=through,
    )
    return told.stored(found)


def files_of(conn: Connection, org: OrgConfig, a: Alert) -> tuple[tuple[AssetUse, ...], int, date | None]:
    """The files behind a bandwidth notice's bytes (its period's; a spike's day's, of its space if it names one)
    through the newest day of that range whose bytes are counted (a later day has no file yet), the days
    to it whose files are not stored, and that day (None: no day's bytes counted, no file)."""
    if not org.asset_traffic or a.kind not in (ACTUAL, FORECAST, OVERAGE, SPIKE) or a.period == DATA_PERIOD:
        return (), 0, None
    first = a.as_of if a.kind == SPIKE else a.period_start
    space = a.space_id if a.kind == SPIKE else None
    uses, missing, through = files_between(conn, org.org, first, a.as_of, TOP_ASSETS, space)
    if a.kind == SPIKE and uses:
        uses = _against_usual(conn, org, a.as_of, uses)
    return tuple(uses), missing, through


def files_between(
    conn: Connection, org: str, first: date, last: date, count: int, space: str | None = None
) -> tuple[list[AssetUse], int, date | None]:
    """The ``count`` files that served most of ``first``..``last``'s bytes (of ``space``, if given), through
    the newest day of it whose bytes are counted (a later day has no file yet); the days to it whose files
    are not stored; and that day (None: no day's bytes counted, no file)."""
    through = reads.newest_bytes_day(conn, org, first, last)
    if through is None:
        return [], 0, None
    uses = reads.top_assets(conn, org, first, through, count, space)
    missing = (through - first).days + 1 - len(reads.asset_days_stored(conn, org, first, through))
    return uses, missing, through


def _against_usual(conn: Connection, org: OrgConfig, day: date, uses: list[AssetUse]) -> list[AssetUse]:
    """Each of a spike day's files with its own normal day, as a space's is judged: the median of the same
    weekday over the spike window before it (0 where a stored day did not list it). None: no such day stored."""
    weekdays = [day - timedelta(days=7 * n) for n in range(1, org.spike_window_days // 7 + 1)]
    known = sorted(reads.asset_days_stored(conn, org.org, min(weekdays, default=day), day) & set(weekdays))
    if not known:
        return uses
    served = reads.asset_bytes_on(conn, org.org, known, [u.asset_id for u in uses])
    return [
        msgspec.structs.replace(u, usual_bytes=int(median(served.get((u.asset_id, d), 0) for d in known))) for u in uses
    ]


def _bill(billed: BillFigures) -> dict[str, object] | None:
    """The billing period as ``/api/usage``'s ``bill`` (the JSON webhook's), without the what-if table."""
    if billed.chosen.plan is None:
        return None
    document: dict[str, object] = bill_document(billed).model_dump(mode="json", exclude={"what_if"})
    return document


def _closed(
    conn: Connection, org: OrgConfig, day: date, stored: StoredDays, billed: BillFigures, live_since: date | None
) -> told.Closed | None:
    """The billing period before ``day``'s, when monitoring covered its end and nothing was told since:
    the checks caught up over its end, so its closing figures are told once, with the present."""
    period = billed.window.period if billed.window is not None else "month"
    current = window_of(period, day, org.year_start)
    last = current.start - timedelta(days=1)
    told_through = alerts.told_through(conn, org.org)
    if live_since is None or last < live_since or (told_through is not None and told_through >= last):
        return None
    previous = window_of(period, last, org.year_start)
    if not stored.days_stored(previous.start, last):
        return None
    found = bill_figures(stored, org, last, plans=False)
    if found.now is not None:
        meters = tuple(told.MeterClosed(m.meter, m.used, m.included) for m in found.now.meters)
        return told.Closed(previous.start, last, meters, found.now)
    limits = limit_in_force(stored.limit_history(), last)
    if limits is None:
        return None
    used, _ = stored.meter_total(org.limit_meter, previous.start, last)
    limit = limits.monthly if period == "month" else limits.yearly
    return told.Closed(previous.start, last, (told.MeterClosed(org.limit_meter, used, limit),))
