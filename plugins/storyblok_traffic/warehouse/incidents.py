"""Pipeline incidents in ``pipeline_incidents`` and which channel has which of their notices.

Callers hold the organisation's lock (``alerts.lock_org``): two failed runs finishing at once count on
one incident, and a sender and a check never decide the same notice twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storyblok_traffic.rules.incidents import TOKEN_REJECTED, Failure, Incident, opened
from storyblok_traffic.warehouse.tables import incident_deliveries, pipeline_incidents


def count_failure(conn: Connection, org: str, failure: Failure) -> tuple[Incident, bool]:
    """The open incident of the failure's cause, counted on; or a new one. True: it was opened now."""
    found = _open(conn, org, failure.cause)
    if found is None:
        incident = opened(org, failure)
        conn.execute(pg_insert(pipeline_incidents).values(asdict(incident)))
        return incident, True
    counted = replace(found, last_run=failure.run_id, last_at=failure.at, runs_failed=found.runs_failed + 1)
    if failure.token_fingerprint is not None:
        counted = replace(counted, token_fingerprint=failure.token_fingerprint)
    conn.execute(
        update(pipeline_incidents)
        .where(*_is(counted))
        .values(
            last_run=counted.last_run,
            last_at=counted.last_at,
            runs_failed=counted.runs_failed,
            token_fingerprint=counted.token_fingerprint,
        )
    )
    return counted, False


def open_incidents(conn: Connection, org: str) -> list[Incident]:
    i = pipeline_incidents.c
    rows = conn.execute(
        select(pipeline_incidents).where(i.org == org, i.resolved_at.is_(None)).order_by(i.opened_at)
    ).mappings()
    return [Incident(**row) for row in rows]


def recent(conn: Connection, org: str, count: int = 3) -> list[Incident]:
    """The org's newest incidents, open or resolved, newest first."""
    i = pipeline_incidents.c
    rows = conn.execute(
        select(pipeline_incidents).where(i.org == org).order_by(i.opened_at.desc()).limit(count)
    ).mappings()
    return [Incident(**row) for row in rows]


def rejected_token(conn: Connection, org: str) -> Incident | None:
    """The open incident of a rejected token, if any: a run with the same token fails without asking."""
    return _open(conn, org, TOKEN_REJECTED)


def resolve(conn: Connection, org: str, day: date, when: datetime) -> list[Incident]:
    """A check of ``day`` completed: every open incident of ``org`` is over."""
    found = open_incidents(conn, org)
    for incident in found:
        conn.execute(update(pipeline_incidents).where(*_is(incident)).values(resolved_at=when, resolved_by=day))
    return [replace(x, resolved_at=when, resolved_by=day) for x in found]


def untold(conn: Connection, org: str, channels: Sequence[str]) -> list[tuple[Incident, list[str]]]:
    """Each incident of ``org`` whose current notice some channel lacks, with those channels, oldest first.

    A resolved incident whose opening a channel never had is not told late: its resolution says it all.
    """
    i, d = pipeline_incidents.c, incident_deliveries.c
    incidents = [
        Incident(**row)
        for row in conn.execute(select(pipeline_incidents).where(i.org == org).order_by(i.opened_at)).mappings()
    ]
    had = {
        (opened_at, cause, notice, channel)
        for opened_at, cause, notice, channel in conn.execute(
            select(d.opened_at, d.cause, d.notice, d.channel).where(d.org == org)
        )
    }
    due = []
    for incident in incidents:
        lacking = [c for c in channels if (incident.opened_at, incident.cause, incident.notice, c) not in had]
        if lacking:
            due.append((incident, lacking))
    return due


def record_delivery(conn: Connection, incident: Incident, channel: str, when: datetime) -> None:
    row = {
        "org": incident.org,
        "cause": incident.cause,
        "opened_at": incident.opened_at,
        "notice": incident.notice,
        "channel": channel,
        "delivered_at": when,
    }
    conn.execute(pg_insert(incident_deliveries).values(row).on_conflict_do_nothing())


def delivered_notices(conn: Connection, org: str) -> list[tuple[Incident, str, str]]:
    """(incident, notice, channel) of every delivery, in the order they were delivered: what each channel
    got, to render again."""
    i, d = pipeline_incidents.c, incident_deliveries.c
    rows = conn.execute(
        select(pipeline_incidents, d.notice, d.channel)
        .join(incident_deliveries, (d.org == i.org) & (d.cause == i.cause) & (d.opened_at == i.opened_at))
        .where(i.org == org)
        .order_by(d.delivered_at, i.opened_at)
    ).mappings()
    columns = [c.name for c in pipeline_incidents.columns]
    return [(Incident(**{c: row[c] for c in columns}), row["notice"], row["channel"]) for row in rows]


def _open(conn: Connection, org: str, cause: str) -> Incident | None:
    i = pipeline_incidents.c
    row = (
        conn.execute(select(pipeline_incidents).where(i.org == org, i.cause == cause, i.resolved_at.is_(None)))
        .mappings()
        .first()
    )
    return None if row is None else Incident(**row)


def _is(incident: Incident) -> tuple[Any, ...]:
    c = pipeline_incidents.c
    return (c.org == incident.org, c.cause == incident.cause, c.opened_at == incident.opened_at)
