"""The dashboard's figures for one organisation as of one day, from the code ``check_usage`` runs.

``evaluate`` (with nothing recorded) gives the periods, forecast and alerts exactly as the check
reports them; the rest is plain reads: top spaces, the daily rows, the alert history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation import evaluate
from storyblok_traffic.payloads import PeriodSummary
from storyblok_traffic.rules.alert_state import SPIKE
from storyblok_traffic.rules.ordering import is_quiet
from storyblok_traffic.rules.periods import window_of
from storyblok_traffic.warehouse import alerts, reads
from storyblok_traffic.warehouse.tables import org_traffic_daily

DAILY_DAYS = 90


def usage_figures(conn: Connection, org: OrgConfig, as_of: date, today: date) -> dict[str, Any]:
    """The ``/api/usage`` document (dates as ISO strings)."""
    evaluation = evaluate(
        conn, org, as_of, is_quiet(as_of, today, org.alert_lookback_days), fetched_day=None, record=False
    )
    recent = as_of - timedelta(days=DAILY_DAYS - 1)
    month = window_of("month", as_of, org.year_start)
    first = min([recent, month.start] + [p.start for p in evaluation.periods])
    history = alerts.history(conn, org.org)
    channels: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for key, channel in sorted(alerts.delivered(conn, history), key=lambda pair: pair[1]):
        channels[key].append(channel)
    return {
        "org": org.org,
        "as_of": as_of.isoformat(),
        "metric": org.metric,
        "newest_day": _iso(evaluation.newest_day),
        "periods": [_period(p, as_of) for p in evaluation.periods],
        "top_spaces": top_spaces(conn, org, month.start, as_of),
        "daily": daily_rows(conn, org.org, first, as_of),
        "daily_by_space": daily_by_space(conn, org, recent, as_of),
        "spikes": [
            {"series": series, "day": day.isoformat()}
            for series, day in alerts.episode_starts(conn, org.org, SPIKE, recent, as_of)
        ],
        "alerts": [_alert(a, channels[a.key]) for a in history],
        "reconciliation": _reconciliation(evaluation),
        "notes": list(evaluation.all_notes()),
    }


def top_spaces(conn: Connection, org: OrgConfig, first: date, last: date) -> list[dict[str, Any]]:
    """The month's top spaces: usage, share of the organisation's, change against the same days a month before."""
    top = reads.top_spaces(conn, org.org, first, last, org.metric, count=10)
    total = sum(amount for _, amount in reads.daily_usage(conn, org.org, first, last, org.metric)) or 1
    before = window_of("month", first - timedelta(days=1), org.year_start).start
    earlier = dict(reads.top_spaces(conn, org.org, before, before + (last - first), org.metric, count=1000))
    return [
        {
            "space_id": space,
            "usage": used,
            "share": round(used * 100 / total, 1),
            "change_pct": round((used - earlier[space]) * 100 / earlier[space], 1) if earlier.get(space) else None,
        }
        for space, used in top
    ]


def daily_by_space(conn: Connection, org: OrgConfig, first: date, last: date, count: int = 5) -> dict[str, Any]:
    """Each day of ``first``..``last``: the top spaces' amounts and the rest of the organisation's."""
    spaces = [space for space, _ in reads.top_spaces(conn, org.org, first, last, org.metric, count=count)]
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {day: i for i, day in enumerate(days)}
    series = {space: [0] * len(days) for space in spaces}
    for space, day, amount in reads.space_daily(conn, org.org, spaces, first, last, org.metric):
        series[space][index[day]] = amount
    rest = [0] * len(days)
    for day, amount in reads.daily_usage(conn, org.org, first, last, org.metric):
        rest[index[day]] = amount - sum(series[space][index[day]] for space in spaces)
    return {"days": [d.isoformat() for d in days], "spaces": series, "rest": rest}


def daily_rows(conn: Connection, org: str, first: date, last: date) -> list[dict[str, Any]]:
    t = org_traffic_daily.c
    rows = conn.execute(
        select(t.day, t.api_requests, t.total_bytes).where(t.org == org, t.day.between(first, last)).order_by(t.day)
    )
    return [{"day": d.isoformat(), "requests": int(r), "bytes": None if b is None else int(b)} for d, r, b in rows]


def newest_day(conn: Connection, org: str) -> date | None:
    return reads.newest_day(conn, org, date.max)


def _period(p: PeriodSummary, as_of: date) -> dict[str, Any]:
    forecast = None
    if p.forecast is not None:
        forecast = {"usage_at_end": p.forecast.projected_usage, "crossing_day": _iso(p.forecast.crossings.get("100%"))}
    return {
        "period": p.period,
        "start": p.start.isoformat(),
        "end": p.last.isoformat(),
        "usage": p.usage,
        "limit": p.limit,
        "percent": p.percent,
        "days_stored": p.days_with_data,
        "days_in_period": (p.last - p.start).days + 1,
        # Days of the period up to the as-of day that are not stored: the figures undercount by them.
        "days_missing": (min(as_of, p.last) - p.start).days + 1 - p.days_with_data,
        "thresholds": list(p.thresholds),
        "forecast": forecast,
    }


def _reconciliation(evaluation: Any) -> dict[str, Any] | None:
    r = evaluation.reconciliation
    if r is None:
        return None
    return {
        "reported": r.reported,
        "stored_requests": r.stored_requests,
        "stored_bytes": r.stored_bytes,
        "matches": r.matches,
        "year_start": r.year_start.isoformat(),
        "missing_days": r.missing_days,
        "difference_pct": r.difference_pct,
    }


def _alert(a: Any, channels: list[str]) -> dict[str, Any]:
    return {
        "period": a.period,
        "period_start": a.period_start.isoformat(),
        "kind": a.kind,
        "threshold": a.threshold_pct,
        "status": a.status,
        "crossed_on": a.crossed_on.isoformat(),
        "projected_on": _iso(a.projected_on),
        "channels_delivered": channels,
    }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
