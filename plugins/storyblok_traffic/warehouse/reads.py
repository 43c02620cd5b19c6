"""The reads the usage check and the report need."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, any_, func, select, union_all
from sqlalchemy.dialects.postgresql import array

from storyblok_traffic.model import ASSETS_TRAFFIC
from storyblok_traffic.rules.asset_use import AssetUse
from storyblok_traffic.rules.periods import calendar_months, each_day, month_of, window_of
from storyblok_traffic.rules.usage import Limits
from storyblok_traffic.warehouse.engine import driver_rows, qualified
from storyblok_traffic.warehouse.tables import (
    asset_traffic_daily,
    asset_traffic_monthly,
    assets,
    org_traffic_daily,
    raw_responses,
    space_traffic_daily,
    usage_snapshots,
)


def limits_on(conn: Connection, org: str, day: date) -> Limits | None:
    """The limits in force on ``day``: the newest snapshot taken on or before it, else the oldest one.

    Snapshots exist only from the day the monitor started; for older days the first one is the best
    knowledge there is.
    """
    snap = usage_snapshots.c
    columns = (snap.monthly_traffic_limit, snap.yearly_traffic_limit, snap.as_of)
    row = conn.execute(
        select(*columns).where(snap.org == org, snap.as_of <= day).order_by(snap.as_of.desc()).limit(1)
    ).first()
    if row is None:
        row = conn.execute(select(*columns).where(snap.org == org).order_by(snap.as_of).limit(1)).first()
    return None if row is None else Limits(monthly=int(row[0]), yearly=int(row[1]), as_of=row[2])


def limit_history(conn: Connection, org: str) -> list[Limits]:
    """Every usage snapshot's limits, oldest first."""
    snap = usage_snapshots.c
    rows = conn.execute(
        select(snap.monthly_traffic_limit, snap.yearly_traffic_limit, snap.as_of)
        .where(snap.org == org)
        .order_by(snap.as_of)
    )
    return [Limits(monthly=int(m), yearly=int(y), as_of=d) for m, y, d in rows]


def days_stored(conn: Connection, org: str, first: date, last: date) -> set[date]:
    t = org_traffic_daily.c
    return set(conn.scalars(select(t.day).where(t.org == org, t.day.between(first, last))))


def first_incomplete_day(conn: Connection, org: str, before: date) -> date | None:
    """Before ``before``: the day after the newest day stored with counts and bytes, else the oldest
    day stored without bytes; None when nothing is stored before it."""
    t = org_traffic_daily.c
    earlier = (t.org == org, t.day < before)
    complete = conn.scalar(select(func.max(t.day)).where(*earlier, t.total_bytes.is_not(None)))
    if complete is not None:
        return complete + timedelta(days=1)
    return conn.scalar(select(func.min(t.day)).where(*earlier))


def newest_day(conn: Connection, org: str, on_or_before: date) -> date | None:
    t = org_traffic_daily.c
    return conn.scalar(select(func.max(t.day)).where(t.org == org, t.day <= on_or_before))


SPACE_ROW = "space_id, day, api_requests, total_bytes"


def newest_days(conn: Connection, orgs: Sequence[str]) -> dict[str, date]:
    """Each organisation's newest stored day (none stored: not in the answer): an index entry each."""
    table = qualified(conn, org_traffic_daily.name)
    found = driver_rows(
        conn,
        f"SELECT o.org, (SELECT max(t.day) FROM {table} t WHERE t.org = o.org) FROM unnest(%(orgs)s::text[]) AS o(org)",
        {"orgs": list(orgs)},
    )
    return {org: day for org, day in found if day is not None}


def top_spaces(
    conn: Connection, org: str, first: date, last: date, meter: str, count: int = 3
) -> list[tuple[str, int]]:
    """The ``count`` spaces that used most in ``first``..``last``, with their usage, largest first."""
    t = space_traffic_daily.c
    amount = func.sum(func.coalesce(t.api_requests if meter == "requests" else t.total_bytes, 0))
    rows = conn.execute(
        select(t.space_id, amount)
        .where(t.org == org, t.day.between(first, last))
        .group_by(t.space_id)
        .order_by(amount.desc(), t.space_id)
        .limit(count)
    )
    return [(space, int(used)) for space, used in rows]


def latest_snapshot(conn: Connection, org: str) -> tuple[date, int] | None:
    """(the day it was fetched, traffic_used_this_year) of the newest usage snapshot."""
    snap = usage_snapshots.c
    row = conn.execute(
        select(snap.as_of, snap.traffic_used_this_year).where(snap.org == org).order_by(snap.as_of.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], int(row[1]))


def month_sums(
    conn: Connection, org: str, last: date, start: tuple[int, int] = (1, 1)
) -> list[tuple[date, int, int, int | None]]:
    """(month's first day, days stored, requests, bytes or None) of each month with days stored up to ``last``;
    ``start``: the contract year's (month, day), whose day starts every month."""
    months: dict[date, tuple[int, int, int | None]] = {}
    for day, requests, size in org_days(conn, org, date.min, last):
        first = month_of(day, start).start
        days, total, sizes = months.get(first, (0, 0, None))
        months[first] = (days + 1, total + requests, sizes if size is None else (sizes or 0) + size)
    return [(first, *sums) for first, sums in sorted(months.items())]


def stored_answers(
    conn: Connection, org: str, endpoint: str, first: date, last: date
) -> list[tuple[date, date, datetime, Any]]:
    """(start, end, fetched at, payload) of Storyblok's stored answers of ``endpoint`` that cover days of
    ``first``..``last`` (``all_traffic``: by day), oldest fetch first: replayed in that order, the newest stands."""
    raw = raw_responses.c
    where = [raw.org == org, raw.endpoint == endpoint, raw.start_date <= last, raw.end_date >= first]
    if endpoint != ASSETS_TRAFFIC:
        where.append(raw.group_by == "day")
    rows = conn.execute(
        select(raw.start_date, raw.end_date, raw.fetched_at, raw.payload)
        .where(*where)
        .order_by(raw.fetched_at, raw.start_date)
    )
    return [(start, end, fetched_at, payload) for start, end, fetched_at, payload in rows]


def year_sums(conn: Connection, org: str, first: date, last: date) -> dict[str, tuple[int, int, int]]:
    """Per meter over ``first``..``last``: (sum, days with a value, the largest day of the last seven)."""
    t = org_traffic_daily.c
    recent = t.day > last - timedelta(days=7)
    out = {}
    for meter, column in (("requests", t.api_requests), ("bytes", t.total_bytes)):
        total, days, peak = conn.execute(
            select(
                func.coalesce(func.sum(column), 0),
                func.count(column),
                func.coalesce(func.max(column).filter(recent), 0),
            ).where(t.org == org, t.day.between(first, last))
        ).one()
        out[meter] = (int(total), int(days), int(peak))
    return out


def space_daily(
    conn: Connection, org: str, spaces: list[str], first: date, last: date, meter: str
) -> list[tuple[str, date, int]]:
    """(space, day, amount) of the given spaces in ``first``..``last``."""
    t = space_traffic_daily.c
    amount = func.coalesce(t.api_requests if meter == "requests" else t.total_bytes, 0)
    if not spaces:
        return []
    rows = conn.execute(
        select(t.space_id, t.day, amount)
        # The days as a list: a few spaces' rows are then found by (day, space) in the primary key, not by
        # scanning every space's rows of the range for them (1 ms instead of 16 for 5 spaces over 35 days).
        .where(t.org == org, t.day == any_(array(each_day(first, last))), t.space_id == any_(array(spaces)))
        .order_by(t.day)
    )
    return [(space, day, int(used)) for space, day, used in rows]


def org_days(conn: Connection, org: str, first: date, last: date) -> list[tuple[date, int, int | None]]:
    """(day, requests, bytes or None) of the org's stored days in ``first``..``last``."""
    t = org_traffic_daily.c
    rows = conn.execute(
        select(t.day, t.api_requests, t.total_bytes).where(t.org == org, t.day.between(first, last)).order_by(t.day)
    )
    return [(day, int(req), None if size is None else int(size)) for day, req, size in rows]


def space_days(
    conn: Connection,
    org: str,
    first: date,
    last: date,
    busy_from: int | None = None,
    also: Sequence[str] = (),
    only: Sequence[date] | None = None,
) -> list[tuple[str, date, int, int | None]]:
    """(space, day, requests, bytes or None) in ``first``..``last``.

    ``busy_from``: only of the spaces with at least that many requests on ``last``, and of the spaces
    in ``also``; None: of every space. ``only``: of these days of the range alone (with ``busy_from``).
    """
    table = qualified(conn, space_traffic_daily.name)
    if busy_from is None:
        sql = f"SELECT {SPACE_ROW} FROM {table} WHERE org = %(org)s AND day BETWEEN %(first)s AND %(last)s"
        return driver_rows(conn, sql, {"org": org, "first": first, "last": last})
    t = space_traffic_daily.c
    busy = conn.scalars(select(t.space_id).where(t.org == org, t.day == last, t.api_requests >= busy_from))
    spaces = sorted({*busy, *also})
    if not spaces:
        return []
    # The days as a list: each (day, space) is then found in the primary key, not by a walk over every
    # space's rows of the range.
    sql = f"SELECT {SPACE_ROW} FROM {table} WHERE org = %(org)s AND day = ANY(%(days)s) AND space_id = ANY(%(spaces)s)"
    days = each_day(first, last) if only is None else [d for d in only if first <= d <= last]
    return driver_rows(conn, sql, {"org": org, "days": days, "spaces": spaces})


def busy_space_rows(conn: Connection, org: str, first: date, busy_from: int) -> list[tuple[str, date, int, int | None]]:
    """(space, day, requests, bytes or None) from ``first`` on, of every space with ``busy_from`` requests
    or more on one of those days (the spaces a check of many days judges)."""
    table = qualified(conn, space_traffic_daily.name)
    return driver_rows(
        conn,
        f"SELECT {SPACE_ROW} FROM {table} WHERE org = %(org)s AND day >= %(first)s AND space_id IN"
        f" (SELECT space_id FROM {table} WHERE org = %(org)s AND day >= %(first)s AND api_requests >= %(busy)s)",
        {"org": org, "first": first, "busy": busy_from},
    )


def org_days_from(conn: Connection, since: Mapping[str, date]) -> dict[str, list[tuple[date, int, int | None]]]:
    """Each organisation's ``org_days`` from its own day in ``since`` on, in one statement (a range of the
    primary key each, whatever the years stored before it). A row per organisation, its days as arrays:
    the driver converts an array at once, where a row per day cost as much again in Python."""
    found = driver_rows(
        conn,
        "SELECT s.org, t.days, t.requests, t.sizes FROM unnest(%(orgs)s::text[], %(since)s::date[]) AS s(org, since)"
        " CROSS JOIN LATERAL (SELECT array_agg(day ORDER BY day), array_agg(api_requests ORDER BY day),"
        f" array_agg(total_bytes ORDER BY day) FROM {qualified(conn, org_traffic_daily.name)}"
        " WHERE org = s.org AND day >= s.since) AS t(days, requests, sizes)",
        {"orgs": list(since), "since": list(since.values())},
    )
    return {org: list(zip(days, requests, sizes, strict=True)) if days else [] for org, days, requests, sizes in found}


def meter_sums(conn: Connection, ranges: Mapping[str, tuple[date, date]]) -> dict[str, dict[str, int]]:
    """Each organisation's requests and bytes summed over its own range of days (unknown bytes: none), in
    one statement: summed where they lie, not read."""
    firsts, lasts = zip(*ranges.values(), strict=True) if ranges else ((), ())
    found = driver_rows(
        conn,
        "SELECT s.org, t.requests, t.size FROM unnest(%(orgs)s::text[], %(firsts)s::date[], %(lasts)s::date[])"
        " AS s(org, first, last) CROSS JOIN LATERAL (SELECT coalesce(sum(api_requests), 0),"
        f" coalesce(sum(total_bytes), 0) FROM {qualified(conn, org_traffic_daily.name)}"
        " WHERE org = s.org AND day BETWEEN s.first AND s.last) AS t(requests, size)",
        {"orgs": list(ranges), "firsts": list(firsts), "lasts": list(lasts)},
    )
    return {org: {"requests": int(requests), "bytes": int(size)} for org, requests, size in found}


def limits_on_each(conn: Connection, on: Mapping[str, date]) -> dict[str, Limits]:
    """Each organisation's ``limits_on`` its own day in ``on``, in one statement (two index entries each);
    an organisation without a snapshot is not in the answer."""
    snapshots = qualified(conn, usage_snapshots.name)
    columns = "monthly_traffic_limit, yearly_traffic_limit, as_of"
    found = driver_rows(
        conn,
        f"SELECT s.org, b.*, o.* FROM unnest(%(orgs)s::text[], %(days)s::date[]) AS s(org, day)"
        f" LEFT JOIN LATERAL (SELECT {columns} FROM {snapshots} WHERE org = s.org AND as_of <= s.day"
        " ORDER BY as_of DESC LIMIT 1) AS b ON true"
        f" LEFT JOIN LATERAL (SELECT {columns} FROM {snapshots} WHERE org = s.org ORDER BY as_of LIMIT 1) AS o ON true",
        {"orgs": list(on), "days": list(on.values())},
    )
    return {
        org: Limits(monthly=int(row[0]), yearly=int(row[1]), as_of=row[2])
        for org, *both in found
        if (row := both[:3] if both[0] is not None else both[3:])[0] is not None
    }


def top_assets_of_month(conn: Connection, org: str, month: date, count: int = 20) -> list[AssetUse]:
    """The month's ``count`` files that served most bytes, largest first, with what is known of each. The
    month's rows are kept with every daily write: this reads ``count`` index entries and their files,
    whatever the history."""
    m, a = asset_traffic_monthly.c, assets.c
    # The 20 first, from the index in its order; then their descriptions: joined before the limit, the
    # planner may walk every file of the month (150 ms where this takes 1.3, measured).
    top = (
        select(m.org, m.asset_id, m.total_bytes, m.days)
        .where(m.org == org, m.month == month.replace(day=1))
        .order_by(m.total_bytes.desc(), m.asset_id)
        .limit(count)
        .subquery()
    )
    found = conn.execute(
        select(top.c.asset_id, top.c.total_bytes, *_DESCRIBED)
        .outerjoin(assets, (a.org == top.c.org) & (a.asset_id == top.c.asset_id))
        .order_by(top.c.total_bytes.desc(), top.c.asset_id)
    )
    return [_use(row) for row in found.mappings()]


def newest_asset_day(conn: Connection, org: str, before: date) -> date | None:
    """The newest day before ``before`` whose files' bytes (``assets_traffic``) are stored, if any."""
    r = raw_responses.c
    return conn.scalar(
        select(func.max(r.start_date)).where(r.org == org, r.endpoint == ASSETS_TRAFFIC, r.start_date < before)
    )


def asset_days_stored(conn: Connection, org: str, first: date, last: date) -> set[date]:
    """The days of ``first``..``last`` whose files' bytes are stored (an answer kept, files or none). A day
    whose bandwidth is not counted yet has an empty answer: ranges of files end at ``newest_bytes_day``."""
    r = raw_responses.c
    found = conn.scalars(
        select(r.start_date).where(
            r.org == org, r.endpoint == ASSETS_TRAFFIC, r.start_date.between(first, last), r.end_date == r.start_date
        )
    )
    return set(found)


def newest_bytes_day(conn: Connection, org: str, first: date, last: date) -> date | None:
    """The newest day of ``first``..``last`` whose bandwidth Storyblok has counted (None: none yet)."""
    t = org_traffic_daily.c
    return conn.scalar(
        select(func.max(t.day)).where(t.org == org, t.day.between(first, last), t.total_bytes.is_not(None))
    )


def top_assets(
    conn: Connection,
    org: str,
    first: date,
    last: date,
    count: int,
    space_id: str | None = None,
    only: Sequence[int] | None = None,
) -> list[AssetUse]:
    """The ``count`` files that served most bytes in ``first``..``last`` (of ``space_id`` only, and of the
    files ``only`` lists, if given), largest first, with what is known of each.

    A calendar month inside the range whose stored days all fall in it is read from its month rows (one
    row per file), the rest from the day rows: a year's top files sum 12 months of rows, not 365 days.
    """
    pieces = [(p, q, _month_rows_hold(conn, org, p, q)) for p, q in calendar_months(first, last)]
    if space_id is None and only is None and len(pieces) == 1 and pieces[0][2]:
        return top_assets_of_month(conn, org, first, count)
    d, m, a = asset_traffic_daily.c, asset_traffic_monthly.c, assets.c
    parts = []
    for piece_first, piece_last, whole in pieces:
        if whole:
            part = select(m.asset_id, m.total_bytes).where(m.org == org, m.month == piece_first)
            ids = m.asset_id
        else:
            part = select(d.asset_id, d.total_bytes).where(d.org == org, d.day.between(piece_first, piece_last))
            ids = d.asset_id
        if space_id is not None:
            part = part.where(ids.in_(select(a.asset_id).where(a.org == org, a.space_id == space_id)))
        if only is not None:
            part = part.where(ids == any_(array([int(i) for i in only] or [-1])))
        parts.append(part)
    rows = union_all(*parts).subquery()
    total = func.sum(rows.c.total_bytes)
    top = (
        select(rows.c.asset_id, total.label("total_bytes"))
        .group_by(rows.c.asset_id)
        .order_by(total.desc(), rows.c.asset_id)
        .limit(count)
        .subquery()
    )
    found = conn.execute(
        select(top.c.asset_id, top.c.total_bytes, *_DESCRIBED)
        .outerjoin(assets, (a.org == org) & (a.asset_id == top.c.asset_id))
        .order_by(top.c.total_bytes.desc(), top.c.asset_id)
    )
    return [_use(row) for row in found.mappings()]


# What a file's line says of it, beside its bytes (``rules.asset_use``).
_DESCRIBED = (
    assets.c.space_id,
    assets.c.filename,
    assets.c.content_type,
    assets.c.content_length,
    assets.c.is_private,
    assets.c.deleted_at,
)


def _use(m: RowMapping) -> AssetUse:
    """A file's bytes with its description; a file never described (none should be) is named by its id."""
    return AssetUse(
        asset_id=int(m["asset_id"]),
        filename=m["filename"] or "",
        space_id=m["space_id"] or "",
        content_type=m["content_type"],
        content_length=None if m["content_length"] is None else int(m["content_length"]),
        is_private=m["is_private"],
        deleted=m["deleted_at"] is not None,
        total_bytes=int(m["total_bytes"]),
    )


def _month_rows_hold(conn: Connection, org: str, first: date, last: date) -> bool:
    """Whether the month rows of ``first``'s month hold exactly its files' bytes of ``first``..``last``:
    ``first`` is the month's first day, ``last`` in the month, and no day after ``last`` of it is stored."""
    month = window_of("month", first)
    if first != month.start or last > month.last:
        return False
    d = asset_traffic_daily.c
    later = conn.scalar(select(d.day).where(d.org == org, d.day > last, d.day <= month.last).limit(1))
    return later is None


def asset_bytes_on(
    conn: Connection, org: str, days: Sequence[date], asset_ids: Sequence[int]
) -> dict[tuple[int, date], int]:
    """(asset, day) -> bytes for the files and days given; a file not served on a stored day has no row."""
    if not days or not asset_ids:
        return {}
    t = asset_traffic_daily.c
    rows = conn.execute(
        select(t.asset_id, t.day, t.total_bytes).where(
            t.org == org, t.day == any_(array(list(days))), t.asset_id == any_(array(list(asset_ids)))
        )
    )
    return {(int(asset_id), day): int(size) for asset_id, day, size in rows}
