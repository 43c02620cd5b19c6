"""The usage API's documents, typed: the OpenAPI document describes every field the routes serve.

Dates are ISO strings (``YYYY-MM-DD``) as served; ``None`` where a figure is unknown.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(_Model):
    """Every error answer (401, 403, 404, 422): one sentence naming what is wrong."""

    detail: str


class Forecast(_Model):
    usage_at_end: int = Field(description="projected usage on the period's last day")
    crossing_day: str | None = Field(description="the day the limit (100 %) is projected to be reached")


class Period(_Model):
    period: Literal["year", "month"]
    start: str
    end: str
    usage: int
    limit: int
    percent: float | None = Field(description="usage in percent of the limit; null without a limit")
    days_stored: int
    days_in_period: int
    days_missing: int = Field(description="days up to the as-of day that are not stored")
    thresholds: list[float]
    forecast: Forecast | None


class ClosedPeriod(_Model):
    """A period that has ended (the month just closed): its final figures."""

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
    period: str
    period_start: str | None = Field(description="the period's first day; a spike's: the episode's first day")
    kind: str
    threshold: float
    status: Literal["pending", "sent", "suppressed", "cleared"]
    crossed_on: str
    projected_on: str | None
    channels_delivered: list[str]
    group: Literal["open", "told", "quiet"] = Field(
        description="open: in alarm now (or waiting to be sent); told: notified before; quiet: recorded, never sent"
    )


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
    metric: Literal["requests", "bytes"]
    newest_day: str | None
    periods: list[Period]
    previous_periods: list[ClosedPeriod] = Field(description="the month just closed (and the year, early in a new one)")
    top_spaces: list[TopSpace]
    top_spaces_change: Comparison | None = Field(description="null: fewer than 7 days of the month to compare")
    daily: list[DailyRow]
    daily_by_space: DailyBySpace
    spikes: list[Spike]
    alerts: list[AlertRow] = Field(description="open first (most urgent first), then told, then quiet")
    open_alerts: int = Field(description="the number of alert rows in the group 'open'")
    reconciliation: Reconciliation | None
    notes: list[str]
