"""The all_traffic response, parsed and validated into typed objects (no I/O).

Storyblok quirks handled here: ``montly_traffic_limit`` (sic) or ``monthly_traffic_limit``;
``traffic_top_spaces`` as an object keyed by space id plus ``other_spaces``; ``total_bytes`` null
while bandwidth is not yet calculated; space ids as numbers in some answers and strings in others.

msgspec validates the answer straight from the response bytes into these structs: a year of 500
spaces is 180,000 buckets, and a validating library that builds dicts first costs seconds there.
Lax mode accepts what the pydantic models before it did ("5" for 5); a validation error names the
field by its path and quotes the value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec.structs import force_setattr

from storyblok_traffic.errors import StoryblokPayloadError

# The statistics endpoints read, by the name the warehouse keeps their answers under (below /v1/orgs/me/statistics/).
ALL_TRAFFIC = "all_traffic"
ASSETS_TRAFFIC = "assets_traffic"

# The warehouse keeps counts in bigint: a number past 64 bits is refused here, not at the write.
Count = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class TrafficBucket(msgspec.Struct, frozen=True):
    """One bucket of the org's traffic: a day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY)."""

    date: str
    api_requests: Count
    total_bytes: Count | None


class SpaceTrafficBucket(TrafficBucket, frozen=True):
    space_id: str | int  # always a str once parsed

    def __post_init__(self) -> None:
        if isinstance(self.space_id, int):
            force_setattr(self, "space_id", str(self.space_id))


class CumulatedTraffic(msgspec.Struct, frozen=True):
    traffic: list[TrafficBucket]
    requests_used_last_days: Count | None = None
    total_requests_per_time_period: Count | None = None
    total_traffic_per_time_period: Count | None = None


class AllTraffic(msgspec.Struct, frozen=True):
    """``GET /v1/orgs/me/statistics/all_traffic``."""

    yearly_traffic_limit: Count
    traffic_used_this_year: Count  # as of now, not as of the requested dates
    cumulated_traffic: CumulatedTraffic
    traffic: list[SpaceTrafficBucket]
    traffic_top_spaces: dict[str, list[TrafficBucket]] = {}
    montly_traffic_limit: Count | None = None  # Storyblok's spelling
    corrected_monthly_traffic_limit: Count | None = msgspec.field(default=None, name="monthly_traffic_limit")

    @property
    def monthly_traffic_limit(self) -> int:
        limit = self.montly_traffic_limit
        return self.corrected_monthly_traffic_limit if limit is None else limit  # type: ignore[return-value]


@dataclass(frozen=True)
class DailyTraffic:
    """A validated day-grouped answer, keyed for the warehouse."""

    report: AllTraffic
    org_days: dict[date, TrafficBucket]
    space_days: dict[tuple[str, date], SpaceTrafficBucket]


def load_json(text: str | bytes) -> Any:
    """The body as JSON, or an error that says it is not."""
    try:
        return msgspec.json.decode(checked_utf8(text))
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as err:
        raise not_json(text, err) from None


def checked_utf8(body: str | bytes) -> str | bytes:
    """``body``, checked to be UTF-8: the decoder skips the fields it does not read, bytes and all, and
    the answer is kept as text (an answer in another encoding would fail there, unexplained)."""
    if isinstance(body, bytes):
        body.decode("utf-8")  # raises UnicodeDecodeError naming the byte
    return body


def parse_all_traffic(payload: Any) -> AllTraffic:
    """Validate the payload (the body's bytes or text, or its decoded JSON); a wrong field raises naming it."""
    try:
        if isinstance(payload, bytes | str):
            report = msgspec.json.decode(checked_utf8(payload), type=AllTraffic, strict=False)
        else:
            report = msgspec.convert(payload, AllTraffic, strict=False)
    except msgspec.ValidationError as err:
        raise StoryblokPayloadError(describe_invalid(err, payload)) from None
    # RecursionError: nesting deeper than the decoder goes (a hostile answer), not a crash of the task
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as err:
        raise not_json(payload, err) from None
    if report.montly_traffic_limit is None and report.corrected_monthly_traffic_limit is None:
        raise StoryblokPayloadError("Storyblok response is invalid: montly_traffic_limit: required field is missing")
    if isinstance(payload, bytes | str):
        _refuse_repeated_names(payload, report)
    return report


# The names this package reads. The decoder keeps the last of a name an object repeats; which one
# Storyblok meant is unknown, so an answer repeating one of these is refused (others do not matter).
READ_NAMES = ("date", "api_requests", "total_bytes", "space_id", "traffic", "cumulated_traffic")
READ_ONCE = (
    "montly_traffic_limit",
    "monthly_traffic_limit",
    "yearly_traffic_limit",
    "traffic_used_this_year",
    "requests_used_last_days",
)
_READ = frozenset(READ_NAMES + READ_ONCE)


def _refuse_repeated_names(body: str | bytes, report: AllTraffic) -> None:
    """Refuse an answer in which one object repeats a name we read.

    Counting the names in the raw body is cheap (a few ms for a year of 500 spaces, where a second
    parse would cost as much as the first); only a body with more of them than its objects can hold
    (or with escapes, which may spell a name differently) is parsed again to find the object.
    """
    raw = body.encode() if isinstance(body, str) else body
    buckets = len(report.cumulated_traffic.traffic) + len(report.traffic)
    buckets += sum(len(rows) for rows in report.traffic_top_spaces.values())
    most = dict.fromkeys(READ_ONCE, 1) | {"date": buckets, "api_requests": buckets, "total_bytes": buckets}
    most |= {"space_id": len(report.traffic), "traffic": 2, "cumulated_traffic": 1}
    if b"\\u" in raw or any(raw.count(b'"%s"' % name.encode()) > n for name, n in most.items()):
        json.loads(raw, object_pairs_hook=_pairs_once)


def _pairs_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen and name in _READ:
            raise StoryblokPayloadError(
                f"Storyblok response is invalid: an object gives {name} twice ({_short(seen[name])} and "
                f"{_short(value)}): which one is meant is unknown"
            )
        seen[name] = value
    return seen


def parse_daily(payload: Any, first_day: date, last_day: date) -> DailyTraffic:
    """Validate a ``group_by=day`` answer for ``first_day``..``last_day`` (inclusive)."""
    report = parse_all_traffic(payload)
    days = _DayReader(first_day, last_day)
    org_days: dict[date, TrafficBucket] = {}
    for i, bucket in enumerate(report.cumulated_traffic.traffic):
        day = days.read(bucket.date, "cumulated_traffic.traffic", i)
        if day in org_days:
            raise StoryblokPayloadError(f"cumulated_traffic.traffic lists day {day} twice")
        org_days[day] = bucket
    space_days: dict[tuple[str, date], SpaceTrafficBucket] = {}
    for i, space_bucket in enumerate(report.traffic):
        key = (str(space_bucket.space_id), days.read(space_bucket.date, "traffic", i))
        if key in space_days:
            raise StoryblokPayloadError(f"traffic lists space {key[0]} on {key[1]} twice")
        space_days[key] = space_bucket
    return DailyTraffic(report=report, org_days=org_days, space_days=space_days)


class _DayReader:
    """Day labels checked against the requested range; each distinct label is parsed once."""

    def __init__(self, first_day: date, last_day: date) -> None:
        self.first_day, self.last_day = first_day, last_day
        self.seen: dict[str, date] = {}

    def read(self, text: str, where: str, index: int) -> date:
        day = self.seen.get(text)
        if day is None:
            day = self.seen[text] = self._check(text, f"{where}.{index}.date")
        return day

    def _check(self, text: str, where: str) -> date:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise StoryblokPayloadError(f"{where}: {text!r} is not a YYYY-MM-DD day") from None
        if len(text) != 10:
            raise StoryblokPayloadError(f"{where}: {text!r} is not a YYYY-MM-DD day")
        if not self.first_day <= day <= self.last_day:
            raise StoryblokPayloadError(
                f"{where}: {day} is outside the requested range {self.first_day}..{self.last_day}"
            )
        return day


_AT = re.compile(r"^(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
# msgspec writes a dict key it does not name as [...]: shown as *, and its value is not quoted
_STEP = re.compile(r"\[(\d+)\]|\[\.\.\.\]|\.([^.\[]+)")
_UNNAMED = "*"
# msgspec's wording, said as the pydantic models before it said it (the messages users know)
_BOUND = re.compile(r"^Expected `[^`]+` >= (?P<bound>\S+)$")
_TYPE = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `[^`]+`$")
_TYPE_NAMES = {
    "int": "a valid integer",
    "str": "a valid string",
    "array": "a valid list",
    "object": "a valid dictionary",
}


def describe_invalid(err: msgspec.ValidationError, payload: Any) -> str:
    """msgspec's "Expected `int` >= 0 - at `$.traffic[0].api_requests`" as "traffic.0.api_requests: ... (got -5)"."""
    match = _AT.match(str(err))
    problem, path = (match["problem"], match["path"] or "") if match else (str(err), "")
    steps: list[str | int] = [int(index) if index else name or _UNNAMED for index, name in _STEP.findall(path)]
    document = load_json(payload) if isinstance(payload, bytes | str) else payload
    if not steps and not isinstance(document, dict):
        return f"Storyblok response must be a JSON object, got {type(document).__name__}"
    missing = _MISSING.match(problem)
    if missing:
        steps.append(missing["field"])
    where = ".".join(str(step) for step in steps) or "(root)"
    if missing:
        return f"Storyblok response is invalid: {where}: required field is missing"
    got = _value_at(document, steps)
    return f"Storyblok response is invalid: {where}: {_worded(problem)}" + (f" (got {_short(got[0])})" if got else "")


def _worded(problem: str) -> str:
    if bound := _BOUND.match(problem):
        return f"Input should be greater than or equal to {bound['bound']}"
    if wrong := _TYPE.match(problem):
        names = [_TYPE_NAMES.get(name.strip(), name.strip()) for name in wrong["expected"].split("|")]
        return "Input should be " + " or ".join(names)
    return problem


def _value_at(document: Any, steps: list[str | int]) -> tuple[Any] | None:
    for step in steps:
        try:
            document = document[step]
        except (KeyError, IndexError, TypeError):
            return None
    return (document,)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def not_json(text: str | bytes, err: Exception) -> StoryblokPayloadError:
    snippet = (text[:80] if isinstance(text, str) else text[:80].decode("utf-8", "replace")).strip()
    what = "is nested too deeply to read" if isinstance(err, RecursionError) else "is not JSON"
    return StoryblokPayloadError(f"Storyblok response {what} ({err}); it starts with {snippet!r}")
