"""The usage API's figures for one organisation as of one day, from the code ``check_usage`` runs: what the
dashboard serves (``/api/usage``, ``/api/assets``) and the weekly digest tells, computed here once.

``evaluate`` (with nothing recorded) gives the periods, forecast and alerts exactly as the check
reports them; the rest is plain reads: top spaces, the daily rows, the alert history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypedDict

from sqlalchemy import Connection

from storyblok_traffic import documents as m
from storyblok_traffic.bill_document import bill_document
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.day import evaluate
from storyblok_traffic.evaluation.meters import bill_figures
from storyblok_traffic.evaluation.result import Evaluation, PeriodSummary
from storyblok_traffic.rules.alert_state import (
    SPIKE,
    Alert,
)
from storyblok_traffic.rules.notices import (
    OPEN,
    RESOLVED,
    Lifecycle,
    Recipients,
    lifecycle,
    notice_key,
    rank,
    severity,
)
from storyblok_traffic.rules.ordering import is_quiet
from storyblok_traffic.rules.periods import each_day, window_of
from storyblok_traffic.rules.quiet_history import QuietPeriod, fold, recorded_quietly, shown_start
from storyblok_traffic.rules.silences import Silence
from storyblok_traffic.rules.usage import alarms
from storyblok_traffic.rules.wording import WORDING
from storyblok_traffic.warehouse import alerts, reads
from storyblok_traffic.warehouse.silences import Change
from storyblok_traffic.warehouse.stored_days import StoredDays

DAILY_DAYS = 90


def usage_figures(
    conn: Connection,
    org: OrgConfig,
    as_of: date,
    today: date,
    routing: Recipients,
    last_failure: m.LastFailure | None = None,
) -> m.Usage:
    """The ``/api/usage`` document (dates as ISO strings); ``routing``: where each notice goes
    (``MonitorConfig.routing``); ``last_failure`` is read from Airflow (``ui.runs``)."""
    stored = StoredDays(conn, org.org)  # read once: the evaluation, the month closed and the bill ask it
    evaluation = evaluate(conn, org, as_of, is_quiet(as_of, today, org.alert_lookback_days), None, stored)
    recent = as_of - timedelta(days=DAILY_DAYS - 1)
    month = window_of("month", as_of, org.year_start)
    first = min([recent, month.start] + [p.start for p in evaluation.periods])
    # A view of an earlier day lists the alerts that had begun by then, as they stand now (each row's
    # as_of says which day its figures are of): none that began after the day viewed.
    history = [a for a in alerts.history(conn, org.org) if a.crossed_on <= as_of]
    channels: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for (key, _), channel in sorted(alerts.delivered(conn, history), key=lambda pair: pair[1]):
        channels[key].append(channel)
    rows = alert_rows(history, channels, as_of, evaluation.newest_day, routing)
    spaces, change = top_spaces(conn, org, stored, month.start, as_of)
    return m.Usage(
        org=org.org,
        as_of=as_of.isoformat(),
        limit_meter=org.limit_meter,
        newest_day=_iso(evaluation.newest_day),
        periods=[_period(p, as_of) for p in evaluation.periods],
        previous_periods=previous_periods(conn, org, as_of, today, stored),
        top_spaces=spaces,
        top_spaces_change=change,
        daily=[_daily_row(row) for row in stored.org_days(first, as_of)],
        daily_by_space=daily_by_space(conn, org, stored, recent, as_of),
        spikes=[
            m.Spike(series=series, day=day.isoformat())
            for series, day in alerts.episode_starts(conn, org.org, SPIKE, recent, as_of)
        ],
        alerts=rows,
        open_alerts=sum(1 for r in rows if r.group == "open"),
        quiet=[
            _quiet(q, channels, routing)
            for q in fold(a for a in history if recorded_quietly(a, bool(channels.get(a.key))))
        ],
        reconciliation=_reconciliation(evaluation),
        bill=bill_document(bill_figures(stored, org, as_of)),
        notes=list(evaluation.all_notes()),
        last_failure=last_failure,
    )


# A change over fewer days than a week compares different weekdays: it says more about them than the space.
MIN_COMPARED_DAYS = 7


def top_spaces(
    conn: Connection, org: OrgConfig, stored: StoredDays, first: date, last: date
) -> tuple[list[m.TopSpace], m.Comparison | None]:
    """The month's top spaces: usage, share of the organisation's, and, from a week into the month, the
    change against the same number of days at the same offset into the month before."""
    top = reads.top_spaces(conn, org.org, first, last, org.limit_meter, count=10)
    total = stored.meter_total(org.limit_meter, first, last)[0] or 1
    before = window_of("month", first - timedelta(days=1), org.year_start)
    days = min((last - first).days + 1, before.days)
    earlier: dict[str, int] = {}
    change = None
    if days >= MIN_COMPARED_DAYS:
        until = before.start + timedelta(days=days - 1)
        earlier = dict(reads.top_spaces(conn, org.org, before.start, until, org.limit_meter, count=1000))
        label = f"{before.start:%B}"
        change = m.Comparison(days=days, text=f"first {days} days vs the same {days} days of {label}")
    return [
        m.TopSpace(
            space_id=space,
            usage=used,
            share=round(used * 100 / total, 1),
            change_pct=round((used - earlier[space]) * 100 / earlier[space], 1) if earlier.get(space) else None,
        )
        for space, used in top
    ], change


def previous_periods(
    conn: Connection, org: OrgConfig, as_of: date, today: date, stored: StoredDays
) -> list[m.ClosedPeriod]:
    """The month just closed (and, in a contract year's first month, the year just closed), as they ended."""
    month = window_of("month", as_of, org.year_start)
    year = window_of("year", as_of, org.year_start)
    # Both end the day before this month: one evaluation as of that day has them both.
    last = month.start - timedelta(days=1)
    wanted = ("month", "year") if month.start == year.start else ("month",)
    if stored.newest_day(last) is None:
        return []  # nothing stored then: nothing to tell
    ended = evaluate(conn, org, last, is_quiet(last, today, org.alert_lookback_days), None, stored)
    closed = [p for p in ended.periods if p.period in wanted]  # the limit meter's first, then the other
    return [
        _closed(p, stored) for p in sorted(closed, key=lambda p: (p.meter != org.limit_meter, wanted.index(p.period)))
    ]


def _closed(p: PeriodSummary, stored: StoredDays) -> m.ClosedPeriod:
    daily = stored.daily_usage(p.start, p.last, p.meter)
    # The day the period's final limit was reached, by the rule every crossing is found with.
    reached = alarms(daily, lambda _: p.limit, (100.0,), p.start, p.last)
    return m.ClosedPeriod(
        **_figures(p),
        overage=max(0, p.usage - p.limit) if p.limit > 0 else 0,
        limit_crossed_on=reached[0].crossed_on.isoformat() if reached else None,
    )


def alert_rows(
    history: Sequence[Alert],
    channels: Mapping[tuple[Any, ...], list[str]],
    as_of: date,
    newest: date | None,
    routing: Recipients,
) -> list[m.AlertRow]:
    """Every alert row: what is open now (in the notices' one order, ``rules.notices.rank``), then what
    was resolved and then what was recorded quietly (each newest first)."""
    grouped = [(a, lifecycle(a, as_of, newest, bool(channels.get(a.key)))) for a in history]

    def order(item: tuple[Alert, Lifecycle]) -> tuple[object, ...]:
        a, group = item
        if group == OPEN:
            return (0, *rank(a))
        return (1 if group == RESOLVED else 2, -a.crossed_on.toordinal(), a.period, -a.threshold_pct)

    return [_alert(a, channels.get(a.key, []), group, routing) for a, group in sorted(grouped, key=order)]


def daily_by_space(
    conn: Connection, org: OrgConfig, stored: StoredDays, first: date, last: date, count: int = 5
) -> m.DailyBySpace:
    """Each day of ``first``..``last``: the top spaces' amounts and the rest of the organisation's."""
    spaces = [space for space, _ in reads.top_spaces(conn, org.org, first, last, org.limit_meter, count=count)]
    days = each_day(first, last)
    index = {day: i for i, day in enumerate(days)}
    series = {space: [0] * len(days) for space in spaces}
    for space, day, amount in reads.space_daily(conn, org.org, spaces, first, last, org.limit_meter):
        series[space][index[day]] = amount
    rest = [0] * len(days)
    for day, amount in stored.daily_usage(first, last, org.limit_meter):
        rest[index[day]] = amount - sum(series[space][index[day]] for space in spaces)
    return m.DailyBySpace(days=[d.isoformat() for d in days], spaces=series, rest=rest)


def daily_rows(conn: Connection, org: str, first: date, last: date) -> list[m.DailyRow]:
    """The org's stored days, as the API and the CSV download show them."""
    return [_daily_row(row) for row in reads.org_days(conn, org, first, last)]


def _daily_row(row: tuple[date, int, int | None]) -> m.DailyRow:
    day, requests, size = row
    return m.DailyRow(day=day.isoformat(), requests=requests, bytes=size)


def newest_day(conn: Connection, org: str) -> date | None:
    return reads.newest_day(conn, org, date.max)


def shown_day(conn: Connection, org: str, asked: date, today: date) -> date | None:
    """The day a view asked as of ``asked`` shows: that day once it is over; today or a later one, the
    newest stored day (today's traffic is not complete); None: nothing is stored."""
    return asked if asked < today else newest_day(conn, org)


def _period(p: PeriodSummary, as_of: date) -> m.Period:
    forecast = None
    if p.forecast is not None:
        forecast = m.Forecast(
            usage_at_end=p.forecast.projected_usage, crossing_day=_iso(p.forecast.crossings.get("100%"))
        )
    return m.Period(
        **_figures(p),
        # Days of the period up to the as-of day that are not stored, or (bandwidth) whose bytes are not in
        # yet: the figures undercount by them (the bill's days_missing for the meter).
        days_missing=(min(as_of, p.last) - p.start).days + 1 - p.days_with_data + p.bytes_missing,
        thresholds=list(p.thresholds),
        forecast=forecast,
    )


class _Figures(TypedDict):
    """What an open period (``m.Period``) and a closed one (``m.ClosedPeriod``) both show; a TypedDict,
    so that mypy checks its fields against both models where it is unpacked into them."""

    meter: Literal["requests", "bytes"]
    period: Literal["year", "month"]
    start: str
    end: str
    usage: int
    limit: int
    percent: float | None
    days_stored: int
    days_in_period: int


def _figures(p: PeriodSummary) -> _Figures:
    """What an open period and a closed one both show."""
    return {
        "meter": p.meter,
        "period": p.period,
        "start": p.start.isoformat(),
        "end": p.last.isoformat(),
        "usage": p.usage,
        "limit": p.limit,
        "percent": p.percent,
        "days_stored": p.days_with_data,
        "days_in_period": (p.last - p.start).days + 1,
    }


def _reconciliation(evaluation: Evaluation) -> m.Reconciliation | None:
    r = evaluation.reconciliation
    if r is None:
        return None
    return m.Reconciliation(
        reported=r.reported,
        stored_requests=r.stored_requests,
        stored_bytes=r.stored_bytes,
        matches=r.matches,
        year_start=r.year_start.isoformat(),
        missing_days=r.missing_days,
        difference_pct=r.difference_pct,
    )


def _quiet(q: QuietPeriod, channels: Mapping[tuple[Any, ...], list[str]], routing: Recipients) -> m.QuietPeriod:
    rows = [_alert(a, channels.get(a.key, []), "quiet", routing) for a in q.alerts]
    return m.QuietPeriod(period=q.period, line=q.line, rows=rows)


def _alert(a: Alert, channels: list[str], group: Lifecycle, routing: Recipients) -> m.AlertRow:
    # A spike's (or a new space's) period is its series: its start is the episode's first day.
    start = shown_start(a)
    return m.AlertRow(
        id=notice_key(a),
        meter=a.meter or None,  # type: ignore[arg-type]
        period=a.period,
        period_start=_iso(start),
        kind=a.kind,
        threshold=a.threshold_pct,
        status=a.status,  # type: ignore[arg-type]
        crossed_on=a.crossed_on.isoformat(),
        projected_on=_iso(a.projected_on),
        as_of=a.as_of.isoformat(),
        usage=a.usage,
        usage_limit=a.usage_limit,
        space_id=a.space_id,
        line=WORDING[a.kind].report_line(a),
        routed_to=list(routing(a)),
        silence_id=a.silence_id,
        channels_delivered=channels,
        group=group,
        severity=severity(a),
    )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def silence_rows(found: Sequence[Silence], changes: Sequence[Change], now: datetime) -> list[m.SilenceRow]:
    """The silences as served, each with its changes; ``now`` decides which are active."""
    said: dict[str, list[m.SilenceChange]] = {}
    for c in changes:
        said.setdefault(c.silence_id, []).append(m.SilenceChange(at=_utc(c.at), who=c.who, what=c.what))
    return [
        m.SilenceRow(
            id=s.id,
            org=s.org,
            match={name: sorted(values) for name, values in s.match.items()},
            matches=s.describe(),
            starts_at=_utc(s.starts_at),
            ends_at=_utc(s.ends_at),
            ended_at=_utc(s.ended_at),
            state=s.state(now),
            reason=s.reason,
            created_by=s.created_by,
            source=s.source,  # type: ignore[arg-type]
            changes=said.get(s.id, []),
        )
        for s in found
    ]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def asset_rows(conn: Connection, org: str, first: date, last: date, space: str | None, count: int) -> m.Assets:
    """The range's top files with their share of its bandwidth and their change against the days before it,
    both through the newest day whose bandwidth is counted (a later day has no file yet)."""
    from storyblok_traffic.rules.asset_use import hints

    through = reads.newest_bytes_day(conn, org, first, last) if last >= first else None
    if through is None:  # an empty range, or no day's bytes counted yet: no file to show
        return m.Assets(
            org=org,
            first_day=first.isoformat(),
            last_day=last.isoformat(),
            space=space,
            bandwidth=0,
            days=max(0, (last - first).days + 1),
            files_through=None,
            days_with_files=0,
            compared=False,
            assets=[],
        )
    days = (through - first).days + 1
    uses = reads.top_assets(conn, org, first, through, count, space)
    before_first, before_last = first - timedelta(days=days), first - timedelta(days=1)
    earlier: dict[int, int] = {}
    # A change against days partly without files would read as a fall: compared only when all are stored.
    compared = len(reads.asset_days_stored(conn, org, before_first, before_last)) == days
    if uses and compared:
        ids = [u.asset_id for u in uses]
        earlier = {
            u.asset_id: u.total_bytes for u in reads.top_assets(conn, org, before_first, before_last, count, space, ids)
        }
    if space is None:
        bandwidth = sum(size or 0 for _, _, size in reads.org_days(conn, org, first, through))
    else:
        bandwidth = sum(size for _, _, size in reads.space_daily(conn, org, [space], first, through, "bytes"))
    rows = [
        m.AssetRow(
            asset_id=u.asset_id,
            filename=u.filename,
            name=u.name,
            space_id=u.space_id,
            content_type=u.content_type,
            content_length=u.content_length,
            deleted=u.deleted,
            is_private=u.is_private,
            bytes=u.total_bytes,
            times_served=u.times_served,
            share=round(100 * u.total_bytes / bandwidth, 1) if bandwidth else None,
            change_pct=round(100 * (u.total_bytes - earlier[u.asset_id]) / earlier[u.asset_id], 1)
            if earlier.get(u.asset_id)
            else None,
            hints=hints(u),
        )
        for u in uses
    ]
    return m.Assets(
        org=org,
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        space=space,
        bandwidth=bandwidth,
        days=(last - first).days + 1,
        files_through=through.isoformat(),
        days_with_files=len(reads.asset_days_stored(conn, org, first, through)),
        compared=compared,
        assets=rows,
    )
