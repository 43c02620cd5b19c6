"""The usage API's documents, typed: the OpenAPI document describes every field the routes serve.

Dates are ISO strings (``YYYY-MM-DD``) as served; ``None`` where a figure is unknown.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from storyblok_traffic.bill_document import Bill, Document, MeterBill, WhatIf
from storyblok_traffic.config import KindName, SeverityName

__all__ = ["Bill", "MeterBill", "WhatIf"]  # the bill's documents are the API's too

_Model = Document


class Error(_Model):
    """Every error answer (401, 403, 404, 422, 500, 503): one sentence naming what is wrong."""

    detail: str


class LastFailure(_Model):
    """The newest finished run of the organisation's daily DAG, when it failed: which, when and why."""

    dag_id: str
    run_id: str
    failed_at: str | None = Field(description="when the failed task (else the run) ended, ISO 8601 in UTC")
    task_id: str | None = Field(description="the task that failed first; null: the run failed with no task failed")
    error: str | None = Field(
        description="the failed task's error, its first line with secrets masked (what the failure notice tells); "
        "null: none recorded (a killed task): see the task's log"
    )


class NotFound(Error):
    """404: the organisation is not monitored, or has nothing stored; then ``last_failure`` may say why."""

    last_failure: LastFailure | None = Field(
        default=None, description="the newest run of the organisation's daily DAG, when it failed"
    )


class Forecast(_Model):
    usage_at_end: int = Field(description="projected usage on the period's last day")
    crossing_day: str | None = Field(description="the day the limit (100%) is projected to be reached")


class Period(_Model):
    meter: Literal["requests", "bytes"] = Field(
        description="what usage counts: the limit meter (`limit_meter`) against Storyblok's limit, or the other meter "
        "against the plan's included amount (listed after the limit meter's periods)"
    )
    period: Literal["year", "month"]
    start: str
    end: str
    usage: int
    limit: int
    percent: float | None = Field(description="usage in percent of the limit; null without a limit")
    days_stored: int
    days_in_period: int
    days_missing: int = Field(
        description="days up to the as-of day that are not stored, or (bandwidth) whose bytes Storyblok has not "
        "reported yet: the usage undercounts by them"
    )
    thresholds: list[float]
    forecast: Forecast | None


class ClosedPeriod(_Model):
    """A period that has ended (the month just closed): its final figures."""

    meter: Literal["requests", "bytes"]
    period: Literal["year", "month"]
    start: str
    end: str
    usage: int
    limit: int
    percent: float | None
    overage: int = Field(description="usage beyond the limit (0 when within it)")
    days_stored: int
    days_in_period: int
    limit_crossed_on: str | None = Field(description="the day usage reached the limit, if it did")


class TopSpace(_Model):
    space_id: str
    usage: int
    share: float
    change_pct: float | None = Field(description="against the same days of the month before; null: not compared")


class Comparison(_Model):
    """What a top space's change compares (like for like: the same number of days at the same offset)."""

    days: int
    text: str


class DailyRow(_Model):
    day: str
    requests: int
    bytes: int | None


class DailyBySpace(_Model):
    days: list[str]
    spaces: dict[str, list[int]]
    rest: list[int]


class Spike(_Model):
    series: str
    day: str


class AlertRow(_Model):
    id: str = Field(
        description="the alert's stable id, the same in every reader and for all its notices: "
        "'period/first day/meter/kind/threshold', a kind that counts no meter with '-' as its meter"
    )
    meter: Literal["requests", "bytes"] | None = Field(
        description="what the alert counts; null for kinds that watch no meter (no data, figures disagree)"
    )
    period: str
    period_start: str | None = Field(description="the period's first day; a spike's: the episode's first day")
    kind: str
    threshold: float
    status: Literal["pending", "sent", "suppressed", "cleared", "silenced"] = Field(
        description="silenced: due while a silence held it, sent nowhere (``silence_id`` names the silence)"
    )
    crossed_on: str
    projected_on: str | None
    as_of: str = Field(description="the day whose figures the current notice tells")
    usage: int = Field(description="the amount it told (a spike's: the day's), in its meter's unit")
    usage_limit: int = Field(description="what usage was measured against (a spike's: its normal day)")
    space_id: str | None = Field(description="a space's spike or a new space: its space")
    line: str = Field(description="the notice in the words `storyblok-traffic report` prints")
    routed_to: list[str] = Field(description="the channels the notice goes to (the routes, or the organisation's)")
    silence_id: str | None = Field(description="the silence that held its current notice; null: none did")
    channels_delivered: list[str] = Field(description="the channels that have its current notice")
    group: Literal["open", "resolved", "quiet"] = Field(
        description="where the notice stands: open (in alarm now, or waiting to be sent); resolved (told, and "
        "over: cleared, its period ended, or data came back); quiet (recorded, never told)"
    )
    severity: Literal["critical", "warning", "info"] = Field(
        description="critical: a limit reached, a hard maximum, the monitor silent; warning: a threshold below "
        "100%, overage, the plan disagreeing, no data; info: a forecast, a spike, a new space, figures that "
        "disagree, a cheaper plan"
    )


class QuietPeriod(_Model):
    """One period's alerts of the group 'quiet', folded as ``storyblok-traffic report`` prints them."""

    period: str = Field(description="the period and its first day: 'month 2026-03-01'; a spike's 'space 8 2026-11-29'")
    line: str = Field(description="'month 2026-03-01: 4 alerts (bandwidth 80%, 100%, forecast 100%; overage)'")
    rows: list[AlertRow]


class Reconciliation(_Model):
    reported: int
    stored_requests: int
    stored_bytes: int
    matches: str | None
    year_start: str
    missing_days: int
    difference_pct: float


class Usage(_Model):
    org: str
    as_of: str
    limit_meter: Literal["requests", "bytes"]
    newest_day: str | None
    periods: list[Period]
    previous_periods: list[ClosedPeriod] = Field(description="the month just closed (and the year, early in a new one)")
    top_spaces: list[TopSpace]
    top_spaces_change: Comparison | None = Field(description="null: fewer than 7 days of the month to compare")
    daily: list[DailyRow]
    daily_by_space: DailyBySpace
    spikes: list[Spike]
    alerts: list[AlertRow] = Field(
        description="open first (by severity, then kind, the year first, the highest threshold first), then "
        "resolved, then quiet (each newest first)"
    )
    open_alerts: int = Field(description="the number of alert rows in the group 'open'")
    quiet: list[QuietPeriod] = Field(description="the rows of the group 'quiet' by period, the newest period first")
    reconciliation: Reconciliation | None
    bill: Bill
    notes: list[str]
    last_failure: LastFailure | None = Field(
        description="the newest finished run of the organisation's daily DAG, when it failed (the figures may be "
        "behind); null: it succeeded, or none has finished"
    )


class MeterPercent(_Model):
    """One meter in one period as of the newest stored day."""

    meter: Literal["requests", "bytes"]
    period: Literal["year", "month"]
    usage: int
    limit: int
    percent: float | None = Field(description="usage in percent of the limit; null without a limit")


class OverviewRow(_Model):
    """One organisation on the overview."""

    org: str
    newest_day: str | None = Field(description="the newest stored day, which the figures are as of")
    meters: list[MeterPercent] = Field(description="the limit meter's periods first, then the other meter's")
    plan: str | None = Field(description="the plan the bill is made on (configured or assumed); null: none")
    currency: str | None
    projected_bill: str | None = Field(description="the billing period's projected total, a decimal string")
    open_alerts: int = Field(description="alerts in alarm now, or waiting to be sent")
    severity: Literal["critical", "warning", "info"] | None = Field(
        description="the most severe open alert's severity; null: none open"
    )
    highest_percent: float | None = Field(description="the highest percent of any meter and period")


class Overview(_Model):
    """Every organisation the user may read, the most urgent first: by the most severe open alert, then
    past a limit, then the most alerts open, then the highest percent."""

    organisations: list[OverviewRow]


class SilenceChange(_Model):
    """One change to a silence."""

    at: str = Field(description="when, ISO 8601 in UTC")
    who: str
    what: str


class SilenceRow(_Model):
    """A silence: the organisation's notices it matches go nowhere from ``starts_at`` until ``ended_at``."""

    id: str
    org: str
    match: dict[str, list[str]] = Field(
        description="field (kind, meter, period, severity, space) -> the values it accepts; a field not named "
        "matches anything"
    )
    matches: str = Field(description="the match as a person types it: 'kind=spike, space=100021', or 'everything'")
    starts_at: str = Field(description="ISO 8601 in UTC")
    ends_at: str = Field(description="the end it was made with, ISO 8601 in UTC")
    ended_at: str = Field(description="when it stops (or stopped) holding: its end, or when it was expired")
    state: Literal["active", "scheduled", "ended"]
    reason: str
    created_by: str
    source: Literal["dashboard", "cli", "configuration"]
    changes: list[SilenceChange] = Field(description="every change to it, oldest first")


class Silences(_Model):
    """An organisation's silences, the newest first, and whether the user may make or expire one."""

    org: str
    may_edit: bool = Field(description="the user may edit the organisation's DAG: make and expire silences")
    silences: list[SilenceRow]


class NewSilence(_Model):
    """A silence to make: what it matches (each field a list; none given: every notice), for how long, why."""

    org: str | None = Field(default=None, description="required when more than one organisation is monitored")
    kind: list[KindName] = []
    meter: list[Literal["requests", "bytes"]] = []
    period: list[Annotated[str, StringConstraints(pattern="^(year|month|organisation|(new )?space [0-9]{1,20})$")]] = (
        Field(default=[], description="year, month, or a spike's series (organisation, space 100021)", max_length=20)
    )
    severity: list[SeverityName] = []
    space: list[Annotated[str, StringConstraints(pattern="^[0-9]{1,20}$")]] = Field(default=[], max_length=50)
    hours: int = Field(ge=1, le=24 * 92, description="how long it holds from now, in hours (up to 92 days)")
    reason: str = Field(
        min_length=1, max_length=500, pattern=r"\S", description="why: told when it ends while a notice it held is open"
    )


class AssetRow(_Model):
    """One file and the bytes it served in the range (``rules.asset_use``)."""

    asset_id: int
    filename: str = Field(description="as Storyblok names it (its URL); empty when never described")
    name: str = Field(description="the filename's last part, or the asset's id")
    space_id: str
    content_type: str | None
    content_length: int | None = Field(description="the file's size in bytes, when Storyblok said it")
    deleted: bool = Field(description="deleted in Storyblok, and still served")
    is_private: bool | None
    bytes: int
    times_served: int | None = Field(description="bytes / content_length: whole downloads, as if none was partial")
    share: float | None = Field(description="percent of the range's bandwidth (the space's, with `space`)")
    change_pct: float | None = Field(
        description="against the file's bytes in as many days just before the range; null when it served "
        "nothing then, or not all of those days have files stored (`compared`)"
    )
    hints: list[str] = Field(description="what to do about it, one rule each (docs/alerts.md)")


class Assets(_Model):
    """The files that served most bytes over a range of days, of one organisation (or one of its spaces)."""

    org: str
    first_day: str
    last_day: str
    space: str | None
    bandwidth: int = Field(description="bytes over the range from the day tables (the space's, with `space`)")
    days: int = Field(description="days in the range")
    files_through: str | None = Field(
        description="the newest day of the range whose bandwidth Storyblok has counted (its files come with it): "
        "files are counted and compared through it; null: none yet"
    )
    days_with_files: int = Field(
        description="days of the range through `files_through` whose files are stored (the file load ran)"
    )
    compared: bool = Field(
        description="every one of as many days just before the range (to `files_through`) has files stored: "
        "`change_pct` is given"
    )
    assets: list[AssetRow] = Field(description="largest first")
