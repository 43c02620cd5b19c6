"""A failing pipeline as one incident per cause (pure): what it is, and the two notices it gives.

Every failed run of an organisation's DAGs is recorded against the open incident of its cause (a
rejected token, the API unavailable, the warehouse unreachable, an invalid answer, an unusable
connection, a bug). The first failure opens it and is told once; later ones only count on it; the
next completed check resolves it with one "working again" notice. Both notices are rendered from the
incident as stored, so what a channel got can be rendered again from the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the DAG files import this module's names: nothing heavy at parse time
    from storyblok_traffic.rules.messages import Message

TOKEN_REJECTED = "token_rejected"  # noqa: S105 (a cause's name, not a secret)
CONNECTION = "connection"
API_UNAVAILABLE = "api_unavailable"
WAREHOUSE_UNREACHABLE = "warehouse_unreachable"
INVALID_ANSWER = "invalid_answer"
BUG = "bug"
UNKNOWN = "unknown"  # the failed task's error could not be read (``dag.test`` runs callbacks without XCom)

# How long after a token's rejection the runs with the same token fail without asking: a catch-up's
# remaining runs, queued together, take minutes; a later run asks again, so checks never stop for good.
FAIL_FAST_MINUTES = 30

# What each cause is, in a sentence's words, and what the person who reads it can do.
CAUSES: dict[str, tuple[str, str]] = {
    TOKEN_REJECTED: (
        "Storyblok rejected the token",
        "fix the Access token of the organisation's Storyblok connection (a personal access token of an "
        f"organisation owner or admin), then clear the failed runs. Runs with this token in the next "
        f"{FAIL_FAST_MINUTES} minutes fail at once, without asking Storyblok; later runs ask again.",
    ),
    CONNECTION: (
        "the Storyblok connection is unusable",
        "fix the organisation's Storyblok connection (its region, host or Access token), then clear the failed runs.",
    ),
    API_UNAVAILABLE: (
        "the Storyblok API was unavailable",
        "nothing, if it passes: the next run fetches the days missed. If it lasts, look at Storyblok's status page "
        "and at the rate limit of the connection.",
    ),
    WAREHOUSE_UNREACHABLE: (
        "the warehouse was unreachable",
        "check the warehouse connection and that its Postgres is up and not locked by another session; "
        "then clear the failed runs.",
    ),
    INVALID_ANSWER: (
        "Storyblok's answer was invalid",
        "nothing was written; the answer is kept in rejected_responses. Read the failed task's log, and "
        "report it if Storyblok changed its answer.",
    ),
    BUG: (
        "a task failed with an unexpected error",
        "read the failed task's log in the Airflow UI, and report it with that log.",
    ),
    UNKNOWN: (
        "a task failed",
        "read the failed task's log in the Airflow UI: its error could not be read here.",
    ),
}
OPENED, RESOLVED = "incident_opened", "incident_resolved"
WATCHDOG_SCOPE = ""  # the org of the watchdog's incidents: it watches every organisation


@dataclass(frozen=True)
class Failure:
    """One failed run, as its DAG's failure callback knows it."""

    cause: str
    run_id: str
    task_id: str | None
    error: str | None
    at: datetime
    token_fingerprint: str | None = None  # a rejected token's, so that only the same token fails fast


@dataclass(frozen=True)
class Incident:
    """An organisation's failures of one cause, from the first until a check completes again."""

    org: str
    cause: str
    opened_at: datetime
    first_run: str
    first_task: str | None
    first_error: str | None
    last_run: str
    last_at: datetime
    runs_failed: int
    token_fingerprint: str | None = None
    resolved_at: datetime | None = None
    resolved_by: date | None = None  # the day whose check completed

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def notice(self) -> str:
        """The notice it gives now: opened while open, resolved after."""
        return OPENED if self.is_open else RESOLVED


def opened(org: str, failure: Failure) -> Incident:
    return Incident(
        org=org,
        cause=failure.cause,
        opened_at=failure.at,
        first_run=failure.run_id,
        first_task=failure.task_id,
        first_error=failure.error,
        last_run=failure.run_id,
        last_at=failure.at,
        runs_failed=1,
        token_fingerprint=failure.token_fingerprint,
    )


def fails_fast(incident: Incident, token_fingerprint: str, now: datetime) -> bool:
    """Whether a run with this token is refused without a request: the open rejection is of this very
    token, and fresh."""
    return (
        incident.is_open
        and incident.cause == TOKEN_REJECTED
        and incident.token_fingerprint == token_fingerprint
        and now - incident.opened_at < timedelta(minutes=FAIL_FAST_MINUTES)
    )


def what(cause: str) -> str:
    """The cause in words (an unknown one, from a newer version, as itself)."""
    return CAUSES[cause][0] if cause in CAUSES else cause


def advice(cause: str) -> str:
    """What the person who reads the notice can do (an unknown cause: read the log)."""
    return CAUSES[cause][1] if cause in CAUSES else "read the failed task's log in the Airflow UI."


def _who(org: str) -> str:
    return "the watchdog" if org == WATCHDOG_SCOPE else org


def _at(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


FAILING, WORKING_AGAIN = " is failing: ", " is working again ("  # how the two subjects say it


def subject(incident: Incident) -> str:
    """Names the organisation and the cause, so that a mailbox sorts them apart."""
    if incident.is_open:
        return f"Storyblok traffic: {_who(incident.org)}{FAILING}{what(incident.cause)}"
    return f"Storyblok traffic: {_who(incident.org)}{WORKING_AGAIN}{what(incident.cause)})"


def is_incident_notice(text: str) -> bool:
    """Whether a received text is an incident's notice (its first line is the subject)."""
    head = text.split("\n", 1)[0]
    return head.startswith("Storyblok traffic: ") and (FAILING in head or WORKING_AGAIN in head)


def message(incident: Incident) -> Message:
    """The incident's current notice, from its stored fields only."""
    from storyblok_traffic.rules.messages import Message

    head = subject(incident)
    if incident.is_open:
        task = f" at task {incident.first_task}" if incident.first_task else ""
        error = f": {incident.first_error}" if incident.first_error else ""
        lines = [
            f"{what(incident.cause).capitalize()}: run {incident.first_run} failed{task} on "
            f"{_at(incident.opened_at)}{error}.",
            f"What to do: {advice(incident.cause)}",
            "Told once: later failures of the same cause count on this incident, and one notice says when "
            "it works again.",
        ]
    else:
        by = f"the check of {incident.resolved_by}" if incident.resolved_by else "a run"
        lines = [
            f"Working again: {by} completed on {_at(incident.resolved_at or incident.last_at)}.",
            f"{what(incident.cause).capitalize()} {_span(incident)}: {_runs(incident.runs_failed)} failed, the "
            f"first {incident.first_run}, the last {incident.last_run}. "
            "Days those runs missed are fetched by the next runs (or clear the failed runs).",
        ]
    from storyblok_traffic.rules.messages import IncidentEvent

    # One incident per failing cause in an incident service: opened by the first failure, resolved after.
    who, opened = incident.org or "watchdog", incident.opened_at.isoformat()
    told = IncidentEvent.of(not incident.is_open, "critical", who, "pipeline", incident.cause, opened)
    return Message(subject=head, text="\n".join([head, *lines]), data=fields(incident), incident=told)


def fields(incident: Incident) -> dict[str, Any]:
    """The JSON webhook's fields: the event, then the incident as stored."""

    def iso(value: datetime | date | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "event": incident.notice,
        "org": incident.org,
        "cause": incident.cause,
        "opened_at": iso(incident.opened_at),
        "first_run": incident.first_run,
        "first_task": incident.first_task,
        "error": incident.first_error,
        "runs_failed": incident.runs_failed,
        "last_run": incident.last_run,
        "last_failed_at": iso(incident.last_at),
        "resolved_at": iso(incident.resolved_at),
        "resolved_by_check_of": iso(incident.resolved_by),
    }


def summary(incident: Incident) -> str:
    """One line for a console, a report or a task's failure: how many runs, why, what to do."""
    if not incident.is_open:
        return (
            f"{_runs(incident.runs_failed)} failed {_span(incident)}: {what(incident.cause)} "
            f"(resolved on {_at(incident.resolved_at or incident.last_at)})"
        )
    short = {TOKEN_REJECTED: "fix the connection's Access token, then clear the failed runs"}.get(incident.cause)
    advice = f"; {short}" if short else ""
    return (
        f"{_runs(incident.runs_failed)} failed since {_at(incident.opened_at)}: {what(incident.cause)}"
        f"{advice} (incident open)"
    )


def _span(incident: Incident) -> str:
    """``from A to B``, or ``at A`` when every failure fell in the same minute."""
    first, last = _at(incident.opened_at), _at(incident.last_at)
    return f"at {first}" if first == last else f"from {first} to {last}"


def _runs(count: int) -> str:
    return f"{count} run{'s' if count != 1 else ''}"


def as_told(incident: Incident, notice: str) -> Incident:
    """The incident as it was when ``notice`` became its current one: an opening is its first failure
    (what later failures counted on it does not change what the opening said)."""
    if notice != OPENED:
        return incident
    return replace(
        incident,
        last_run=incident.first_run,
        last_at=incident.opened_at,
        runs_failed=1,
        resolved_at=None,
        resolved_by=None,
    )
