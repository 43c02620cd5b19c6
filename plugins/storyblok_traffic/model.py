"""The all_traffic response, parsed and validated into typed objects (no I/O).

Storyblok quirks handled here: ``montly_traffic_limit`` (sic) or ``monthly_traffic_limit``;
``traffic_top_spaces`` as an object keyed by space id plus ``other_spaces``; ``total_bytes`` null
while bandwidth is not yet calculated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from storyblok_traffic.errors import StoryblokPayloadError

Count = Field(ge=0)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TrafficBucket(_Wire):
    """One bucket of the org's traffic: a day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY)."""

    date: str
    api_requests: int = Count
    total_bytes: int | None = Count


class SpaceTrafficBucket(TrafficBucket):
    space_id: str

    @field_validator("space_id", mode="before")
    @classmethod
    def _space_id_as_text(cls, value: Any) -> Any:
        # ids come as numbers in some answers and as strings in others
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class CumulatedTraffic(_Wire):
    requests_used_last_days: int | None = Field(default=None, ge=0)
    total_requests_per_time_period: int | None = Field(default=None, ge=0)
    total_traffic_per_time_period: int | None = Field(default=None, ge=0)
    traffic: list[TrafficBucket]


class AllTraffic(_Wire):
    """``GET /v1/orgs/me/statistics/all_traffic``."""

    monthly_traffic_limit: int = Field(
        ge=0, validation_alias=AliasChoices("montly_traffic_limit", "monthly_traffic_limit")
    )
    yearly_traffic_limit: int = Count
    traffic_used_this_year: int = Count  # as of now, not as of the requested dates
    cumulated_traffic: CumulatedTraffic
    traffic_top_spaces: dict[str, list[TrafficBucket]] = Field(default_factory=dict)
    traffic: list[SpaceTrafficBucket]


@dataclass(frozen=True)
class DailyTraffic:
    """A validated day-grouped answer, keyed for the warehouse."""

    report: AllTraffic
    org_days: dict[date, TrafficBucket]
    space_days: dict[tuple[str, date], SpaceTrafficBucket]


def load_json(text: str | bytes) -> Any:
    """The body as JSON, or an error that says it is not."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        snippet = (text[:80] if isinstance(text, str) else text[:80].decode("utf-8", "replace")).strip()
        raise StoryblokPayloadError(f"Storyblok response is not JSON ({err}); it starts with {snippet!r}") from None


def parse_all_traffic(payload: Any) -> AllTraffic:
    """Validate the payload; a missing or wrong field raises naming the field and the value."""
    if not isinstance(payload, dict):
        raise StoryblokPayloadError(f"Storyblok response must be a JSON object, got {type(payload).__name__}")
    try:
        return AllTraffic.model_validate(payload)
    except ValidationError as err:
        raise StoryblokPayloadError(_describe(err)) from None


def parse_daily(payload: Any, first_day: date, last_day: date) -> DailyTraffic:
    """Validate a ``group_by=day`` answer for ``first_day``..``last_day`` (inclusive)."""
    report = parse_all_traffic(payload)
    org_days: dict[date, TrafficBucket] = {}
    for i, bucket in enumerate(report.cumulated_traffic.traffic):
        day = _day(bucket.date, f"cumulated_traffic.traffic.{i}.date", first_day, last_day)
        if day in org_days:
            raise StoryblokPayloadError(f"cumulated_traffic.traffic lists day {day} twice")
        org_days[day] = bucket
    space_days: dict[tuple[str, date], SpaceTrafficBucket] = {}
    for i, space_bucket in enumerate(report.traffic):
        day = _day(space_bucket.date, f"traffic.{i}.date", first_day, last_day)
        key = (space_bucket.space_id, day)
        if key in space_days:
            raise StoryblokPayloadError(f"traffic lists space {space_bucket.space_id} on {day} twice")
        space_days[key] = space_bucket
    return DailyTraffic(report=report, org_days=org_days, space_days=space_days)


def _day(text: str, where: str, first_day: date, last_day: date) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise StoryblokPayloadError(f"{where}: {text!r} is not a YYYY-MM-DD day") from None
    if len(text) != 10:
        raise StoryblokPayloadError(f"{where}: {text!r} is not a YYYY-MM-DD day")
    if not first_day <= day <= last_day:
        raise StoryblokPayloadError(f"{where}: {day} is outside the requested range {first_day}..{last_day}")
    return day


def _describe(err: ValidationError) -> str:
    problems = []
    for item in err.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "(root)"
        if item["type"] == "missing":
            problems.append(f"{where}: required field is missing")
        else:
            problems.append(f"{where}: {item['msg']} (got {_short(item.get('input'))})")
    more = f" and {err.error_count() - 5} more" if err.error_count() > 5 else ""
    return "Storyblok response is invalid: " + "; ".join(problems) + more


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class FetchedTraffic:
    """What the fetch task hands to the upsert task through XCom: the validated body, day-sized."""

    org: str
    start_date: date
    end_date: date
    group_by: str
    fetched_at: datetime
    payload: dict[str, Any]

    def to_xcom(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "group_by": self.group_by,
            "fetched_at": self.fetched_at.isoformat(),
            "payload": self.payload,
        }

    @classmethod
    def from_xcom(cls, value: dict[str, Any]) -> FetchedTraffic:
        try:
            return cls(
                org=str(value["org"]),
                start_date=date.fromisoformat(value["start_date"]),
                end_date=date.fromisoformat(value["end_date"]),
                group_by=str(value["group_by"]),
                fetched_at=datetime.fromisoformat(value["fetched_at"]),
                payload=value["payload"],
            )
        except (KeyError, TypeError, ValueError) as err:
            raise StoryblokPayloadError(f"fetch result from XCom is malformed: {err!r}") from None

    def daily(self) -> DailyTraffic:
        return parse_daily(self.payload, self.start_date, self.end_date)
