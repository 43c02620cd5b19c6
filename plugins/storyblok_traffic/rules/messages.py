"""The words people read in notifications, and the fields machines read (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from storyblok_traffic.rules import bill_lines, spike_lines, told
from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    ALARM,
    CLEAR,
    FORECAST,
    NEVER,
    OVERAGE,
    SPIKE,
    Alert,
)
from storyblok_traffic.rules.asset_use import AssetUse, days_of, files_heading, hints, use_line
from storyblok_traffic.rules.meters import METER_NAMES
from storyblok_traffic.rules.notices import notice_key, rank, severity
from storyblok_traffic.rules.usage import percent_of
from storyblok_traffic.rules.wording import WORDING, Context, UnknownBefore, before_monitoring

# (meter, period, period start) -> [(space id, usage)], largest first
TopSpaces = Mapping[tuple[str, str, date], Sequence[tuple[str, int]]]
# a notice's key -> (the files behind its bytes, largest first; days of its range whose files are not stored)
TopAssets = Mapping[tuple[Any, ...], tuple[Sequence[AssetUse], int]]


@dataclass(frozen=True)
class IncidentEvent:
    """What an incident service (PagerDuty, Opsgenie) needs beyond the text: the key that makes a repeat
    update one incident (its ``dedup_key``, its alias), whether the message ends it, how urgent it is."""

    key: str
    resolve: bool
    severity: str  # critical, warning or info (``rules.notices.severity``)

    @classmethod
    def of(cls, resolve: bool, severity: str, *parts: str) -> IncidentEvent:
        """The event of the incident named by ``parts`` (``acme``, a notice id; ``configuration``): its key
        ``storyblok-traffic/acme/...``, the one spelling of every incident's key."""
        return cls("/".join((INCIDENT_SOURCE, *parts)), resolve, severity)

    @classmethod
    def of_alert(cls, org: str, alert: Alert, resolve: bool) -> IncidentEvent:
        """The incident of an alert row: one per row, whatever its notices."""
        return cls.of(resolve, severity(alert), org, notice_key(alert))


# What the incident services are told the events come from, and every incident key's first part.
INCIDENT_SOURCE = "storyblok-traffic"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str  # the subject, then one line per notice
    data: dict[str, Any] = field(default_factory=dict)  # structured fields for JSON webhooks
    link: str | None = None  # the dashboard view that explains it (its last line too); None: no dashboard_url
    incident: IncidentEvent | None = None  # for incident services: one message per notice (``incident_messages``)
    # For email: a body of its own (else the text, a paragraph per line), and the images it shows by
    # ``cid:<name>`` (name, PNG bytes).
    html: str | None = None
    images: tuple[tuple[str, bytes], ...] = ()


def _within(alert: Alert) -> tuple[float, ...]:
    """A group's alerts: its head (the highest threshold; of spikes, the largest excess) first."""
    if alert.kind == SPIKE:
        return (-float(alert.usage - alert.usage_limit),)
    return (-alert.threshold_pct,)


def _group_order(head: Alert) -> tuple[object, ...]:
    """Groups in the notices' one order (``rules.notices.rank`` of their heads); then the organisation's
    spike before its spaces', the largest excess first; then the older period first."""
    spike = (0 if head.space_id is None else 1, -float(head.usage - head.usage_limit)) if head.kind == SPIKE else ()
    return (*rank(head), *spike, head.period_start)


def notice_message(org: str, limit_meter: str, alerts: Sequence[Alert], dashboard_url: str | None = None) -> Message:
    """The message of a batch of stored notices, from their rows and the figures stored with them
    (``rules.told``) alone: what a channel got renders again, byte for byte, from the warehouse (and the
    configuration's ``dashboard_url``, which its link starts with).
    ``limit_meter``: the unit of notices stored without figures (recorded before they were)."""
    alerts = sorted(alerts, key=lambda a: (a.period_start, a.period, a.kind, a.threshold_pct, a.meter, a.notice_seq))
    newest = told.newest(alerts)
    message = alert_message(
        org,
        newest.limit_meter or limit_meter,
        alerts,
        told.top_spaces(alerts),
        told.unknown_before(alerts),
        newest.live_since,
        newest.bill,
        newest.closed,
        told.bytes_not_in(alerts),
        told.top_assets(alerts),
    )
    if dashboard_url is None:
        return message
    named = {a.space_id for a in alerts if a.space_id is not None}
    space = next(iter(named)) if len(named) == 1 else None  # the space the message names, when one
    link = dashboard_link(dashboard_url, org, max(a.as_of for a in alerts), space)
    return replace(message, text=f"{message.text}\nDashboard: {link}", data={**message.data, "url": link}, link=link)


def incident_messages(
    org: str, limit_meter: str, alerts: Sequence[Alert], dashboard_url: str | None = None
) -> list[tuple[Alert, Message]]:
    """For an incident service: each notice its own message, an alarm opening (or updating) the
    incident of its alert row, a clear resolving it; a row's older notice first."""
    ordered = sorted(alerts, key=lambda a: (notice_key(a), a.notice_seq))
    return [
        (
            a,
            replace(
                notice_message(org, limit_meter, [a], dashboard_url),
                incident=IncidentEvent.of_alert(org, a, resolve=a.notice == CLEAR),
            ),
        )
        for a in ordered
    ]


def ended_message(org: str, limit_meter: str, alarm: Alert, newest: date, dashboard_url: str | None = None) -> Message:
    """For an incident service: the alarm's incident resolved, its alarm over without a notice of its own
    (its period ended by ``newest``, the newest stored day; or no longer seen); the text is the alarm's,
    as told, under a subject that says so."""
    told = notice_message(org, limit_meter, [alarm], dashboard_url)
    ended = alarm.period_end is not None and alarm.period_end < newest
    over = f"its {alarm.period} ended on {alarm.period_end}" if ended else f"no longer seen as of {newest}"
    subject = f"{told.subject.removeprefix('URGENT ')}: resolved, {over}"  # urgent no longer
    event = IncidentEvent.of_alert(org, alarm, resolve=True)
    return replace(told, subject=subject, text=subject + told.text.removeprefix(told.subject), incident=event)


def dashboard_link(dashboard_url: str, org: str, day: date, space: str | None = None) -> str:
    """The dashboard's view of ``org`` as of ``day`` in the Airflow UI at ``dashboard_url``; with
    ``space``, that space marked in it."""
    query = {"org": org, "as_of": day.isoformat()} | ({"space": space} if space else {})
    return f"{dashboard_url.rstrip('/')}/plugin/storyblok-usage?{urlencode(query)}"


def alert_message(
    org: str,
    limit_meter: str,
    alerts: Sequence[Alert],
    top: TopSpaces,
    unknown: UnknownBefore | None = None,
    live_since: date | None = None,
    bill: Mapping[str, Any] | None = None,
    closed: told.Closed | None = None,
    not_in: Mapping[tuple[Any, ...], int] | None = None,
    files: TopAssets | None = None,
) -> Message:
    """One message for a batch of notices: each group (period, kind, notice) names its highest threshold.

    ``unknown``: a crossing with days missing before it is told as "by" that day, never "on" it.
    ``live_since``: the first day checked live; a crossing before it is told as the state now.
    ``bill``: the billing period's figures for the JSON webhook (``/api/usage``'s ``bill``), when a plan is known.
    ``closed``: a period that closed while the checks caught up, told by its closing figures.
    ``not_in``: per bandwidth notice, the days of its period whose bandwidth is not reported yet.
    ``files``: per bandwidth notice, the files behind its bytes (``rules.asset_use``).
    """
    unknown, files = unknown or {}, files or {}
    rounds = _rounds(alerts)
    together: dict[tuple[Any, ...], list[Alert]] = defaultdict(list)
    for a in alerts:  # one group per (round, period, period start, meter, kind, notice)
        together[(rounds[a.notice_id], a.period, a.period_start, a.meter, a.kind, a.notice)].append(a)
    groups = sorted(
        (sorted(g, key=_within) for g in together.values()),
        key=lambda g: (rounds[g[0].notice_id], *_group_order(g[0])),
    )
    ordered = [a for g in groups for a in g]
    ctx = Context(limit_meter, unknown, live_since, not_in or {})
    lines = [WORDING[g[0].kind].line(g[0], g[1:], ctx) for g in groups]
    earlier = [a for a in ordered if before_monitoring(a, live_since)]
    if earlier:
        lines.insert(
            0,
            # Of the message as a whole only what is true of it: each line says whether it was reached before.
            f"Where {org} stands as of {max(a.as_of for a in ordered)} (monitoring started on {live_since}: what "
            "was reached before then is told once now, marked so).",
        )
    lines[:0] = told.silences_ended(ordered)
    if closed is not None and any(a.as_of > closed.last for a in ordered):
        lines.append(told.closed_line(closed))
    # The bill once, after the notices: as the newest crossing or forecast of the message found it; an
    # overage notice of the message tells it already.
    billed = [a for a in ordered if a.kind in (ACTUAL, FORECAST) and a.notice == ALARM and a.detail]
    if billed and not any(a.kind == OVERAGE and a.notice == ALARM for a in ordered):
        lines.append(max(billed, key=lambda a: a.as_of).detail or "")
    shown: set[tuple[str, str, date]] = set()
    starts = {(g[0].period, g[0].period_start) for g in groups if g[0].kind in (ACTUAL, FORECAST)}
    for group in groups:
        head = group[0]
        where = (head.meter, head.period, head.period_start)
        if head.kind in (ACTUAL, FORECAST) and where not in shown and top.get(where):
            shown.add(where)
            # Two months in one message (a late notice beside this month's): say which.
            several = sum(1 for period, _ in starts if period == head.period) > 1
            which = f"in the {head.period} from {head.period_start}" if several else f"this {head.period}"
            by = METER_NAMES.get(head.meter, head.meter)  # named always: a message of one meter reads alike
            lines.append(f"Top spaces by {by} {which}: " + _spaces(top[where], head.usage) + ".")
    lines += _file_lines(groups, files)
    subject = WORDING[groups[0][0].kind].subject(org, groups[0][0])
    return Message(
        subject=subject,
        text="\n".join([subject, *lines]),
        data={
            "org": org,
            "limit_meter": limit_meter,
            "subject": subject,
            "alerts": [
                _fields(a, top.get((a.meter, a.period, a.period_start), ()), unknown.get(a.key, 0), live_since)
                | _file_fields(a, files.get(a.key))
                for a in ordered
            ],
            "bill": None if bill is None else dict(bill),
            "closed": None if closed is None else _closed_fields(closed),
        },
    )


def _closed_fields(closed: told.Closed) -> dict[str, Any]:
    """The closed period for JSON webhooks: its days, each meter's use, and its bill (money as strings)."""
    fields: dict[str, Any] = told.stored(told.Figures(closed=closed))["closed"]
    return fields


def _rounds(alerts: Sequence[Alert]) -> dict[tuple[Any, ...], int]:
    """Per notice: how many earlier notices of its row with the same event the batch holds (0 but for a
    superseded alarm and its row's next alarm). A later one gets its own line, after the first round."""
    return {
        a.notice_id: sum(1 for b in alerts if b.key == a.key and b.notice == a.notice and b.notice_seq < a.notice_seq)
        for a in alerts
    }


def configuration_message(error: str, valid_again: bool = False) -> Message:
    """The watchdog's notice of a configuration that does not load (every DAG is gone but the watchdog),
    and of its return; ``error``: the configuration error as told (its file and setting)."""
    # The error as a sentence of its own: "did you mean monthly_thresholds?" takes no full stop after it.
    said = error if error.endswith((".", "?", "!")) else f"{error}."
    if valid_again:
        subject = "Storyblok traffic: the monitor's configuration loads again"
        text = f"The configuration loads again; the usage checks resume with the next daily runs. It had failed: {said}"
    else:
        subject = "URGENT Storyblok traffic: the monitor's configuration does not load: no usage is checked"
        text = (
            f"The monitor's DAGs cannot load: {said} No usage is checked and no usage notice is sent until "
            "it is fixed; this watchdog tells you once it loads again."
        )
    event = "configuration_valid" if valid_again else "configuration_invalid"
    event_ = IncidentEvent.of(valid_again, "critical", "configuration")
    return Message(subject=subject, text=f"{subject}\n{text}", data={"event": event, "error": error}, incident=event_)


def _file_lines(groups: Sequence[Sequence[Alert]], files: TopAssets) -> list[str]:
    """The files behind each bandwidth notice's bytes, once per period (its newest notice's) and per spike."""
    lines: list[str] = []
    shown: set[tuple[Any, ...]] = set()
    for group in groups:
        head = max(group, key=lambda a: a.as_of)
        found = files.get(head.key)
        where = (head.period, head.period_start) if head.kind != SPIKE else head.key
        if found is None or not found[0] or where in shown:  # no file stored for its range: nothing to name
            continue
        shown.add(where)
        uses, missing = found
        if head.kind == SPIKE:
            which = f"on {head.as_of}" + ("" if head.space_id is None else f" in space {head.space_id}")
        else:  # through the newest day whose bytes are counted: a later day has no file yet
            which = days_of(head.period, head.period_start, told.of(head).files_through or head.as_of)
        lines.append(files_heading(which, missing))
        lines += [f"- {use_line(use, head.usage)}" for use in uses]
    return lines


def _file_fields(alert: Alert, found: tuple[Sequence[AssetUse], int] | None) -> dict[str, Any]:
    """A bandwidth notice's files for JSON webhooks (none for the others)."""
    uses, missing = found or ((), 0)
    return {
        "top_assets": [
            {
                "asset_id": u.asset_id,
                "filename": u.filename,
                "space_id": u.space_id,
                "content_type": u.content_type,
                "content_length": u.content_length,
                "deleted": u.deleted,
                "is_private": u.is_private,
                "bytes": u.total_bytes,
                "times_served": u.times_served,
                "share": round(u.total_bytes * 100 / alert.usage, 1) if alert.usage else None,
                "usual_bytes": u.usual_bytes,
                "hints": hints(u),
            }
            for u in uses
        ],
        "asset_days_missing": missing,
        "files_through": None if not uses else str(told.of(alert).files_through or alert.as_of),
    }


def failure_message(text: str) -> Message:
    return Message(subject="Storyblok traffic pipeline failed", text=text, data={"event": "pipeline_failed"})


def _spaces(spaces: Sequence[tuple[str, int]], total: int) -> str:
    return ", ".join(f"{space} ({used * 100 / total:.1f}%)" if total else space for space, used in spaces)


def _fields(
    alert: Alert, spaces: Sequence[tuple[str, int]], unknown_before: int, live_since: date | None
) -> dict[str, Any]:
    def iso(value: date | None) -> str | None:
        return None if value is None or value == NEVER else value.isoformat()

    return {
        "id": notice_key(alert),  # the alert's id in /api/usage and on the dashboard
        "period": alert.period,
        "kind": alert.kind,
        "meter": alert.meter or None,  # requests or bytes; null for kinds that watch no meter
        "event": alert.notice,
        "threshold": alert.threshold_pct,
        "usage": alert.usage,
        "limit": alert.usage_limit,
        "percent": percent_of(alert.usage, alert.usage_limit),
        "day": alert.as_of.isoformat(),
        "crossed_on": alert.crossed_on.isoformat(),
        "period_start": iso(alert.period_start),
        "period_end": iso(alert.period_end),
        "forecast_date": iso(alert.projected_on),
        # a spike's figures are in "spike", an overage's in "bill"
        "detail": None if alert.kind in (SPIKE, OVERAGE) else alert.detail,
        "days_missing_before": unknown_before,  # > 0: crossed_on is the day it was known by, not when
        "before_monitoring": before_monitoring(alert, live_since),  # reached before the first live check
        "spike": spike_lines.fields(alert) if alert.kind == SPIKE else None,
        "bill": bill_lines.overage_fields(alert) if alert.kind == OVERAGE else None,
        "top_spaces": [
            {"space_id": s, "usage": u, "share": round(u * 100 / alert.usage, 1) if alert.usage else None}
            for s, u in (spaces if alert.kind in (ACTUAL, FORECAST) else ())
        ],
    }
