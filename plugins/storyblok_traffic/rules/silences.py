"""Silences (pure): a known cause muted for a while, with Alertmanager's semantics. A silence matches
notices as a route does (``rules.routes``: each field it names holds one of its values) and holds from
its start until its end, or until someone expires it. A notice due while a silence matches it goes to
no channel: it is recorded as silenced, with the silence's id.

A silence belongs to one organisation (the one whose DAG its maker may edit); its matcher names the
other fields. "Silence" here is always this mute; the watchdog's alarm is "the monitor silent".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    CHEAPER,
    DISAGREE,
    FORECAST,
    MAXIMUM,
    OVERAGE,
    SPIKE,
    Alert,
)
from storyblok_traffic.rules.routes import FIELDS, Route, labels

State = Literal["active", "scheduled", "ended"]
# What a silence matches beyond its organisation (its own column).
MATCHED = tuple(f for f in FIELDS if f != "org")
# Where a silence came from: made in the dashboard, with the CLI, or kept in the configuration file.
DASHBOARD, CLI, CONFIGURATION = "dashboard", "cli", "configuration"


@dataclass(frozen=True)
class Silence:
    """One silence of ``org``: what it matches, from when to when, why and by whom."""

    id: str
    org: str
    match: Mapping[str, frozenset[str]]
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    source: str = CLI
    expired_at: datetime | None = None  # expired early (by hand, or gone from the configuration)
    expired_by: str | None = None
    _route: Route = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_route", Route((), {**self.match, "org": frozenset({self.org})}))

    @property
    def ended_at(self) -> datetime:
        """When it stops (or stopped) holding: its end, or when it was expired, whichever is first."""
        return min(self.ends_at, self.expired_at) if self.expired_at is not None else self.ends_at

    def holds(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ended_at

    def state(self, now: datetime) -> State:
        """``active`` (it holds), ``scheduled`` (it starts later) or ``ended``, at ``now``."""
        return "active" if self.holds(now) else "scheduled" if now < self.starts_at else "ended"

    def matches(self, notice: Alert) -> bool:
        return self._route.matches(labels(notice))

    def describe(self) -> str:
        """``kind=spike, space=100021``: what it matches, as a person types it (nothing named: ``everything``)."""
        said = [f"{name}={','.join(sorted(self.match[name]))}" for name in MATCHED if name in self.match]
        return ", ".join(said) or "everything"


def silencing(silences: Iterable[Silence], notice: Alert, now: datetime) -> Silence | None:
    """The silence that holds ``notice`` at ``now`` (the one that ends last, when several do), or None."""
    holding = [s for s in silences if s.holds(now) and s.matches(notice)]
    return max(holding, key=lambda s: (s.ended_at, s.id)) if holding else None


def configured_id(
    org: str, match: Mapping[str, frozenset[str]], starts_at: datetime, ends_at: datetime, reason: str
) -> str:
    """A configured silence's id: the same for the same silence at every read of the file."""
    said = json.dumps(
        [org, {k: sorted(v) for k, v in sorted(match.items())}, starts_at.isoformat(), ends_at.isoformat(), reason]
    )
    return f"config-{hashlib.sha256(said.encode()).hexdigest()[:8]}"


# As Alertmanager's: a silence names what it mutes (one of everything would mute the pager too).
EVERYTHING = "name at least one of kind, meter, period, severity or space (a silence of everything mutes the pager too)"
SPIKE_SERIES = ("space ", "new space ")


def matcher(values: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """A matcher from field -> values; a field beyond ``MATCHED``, a value no notice has (a space that
    is not an id, a period that is none), or nothing at all is refused, saying why."""
    unknown = sorted(set(values) - set(MATCHED))
    if unknown:
        raise ValueError(f"cannot match on {', '.join(unknown)}; a silence matches {', '.join(MATCHED)}")
    found = {name: frozenset(str(v) for v in vals) for name, vals in values.items() if vals}
    if not found:
        raise ValueError(EVERYTHING)
    for space in found.get("space", ()):
        if not space.isdigit():
            raise ValueError(f"space {space!r} is not a space id (digits)")
    for period in found.get("period", ()):
        series = period.startswith(SPIKE_SERIES) and period.rsplit(" ", 1)[-1].isdigit()
        if period not in ("year", "month", "organisation") and not series:
            raise ValueError(f"period {period!r} is not year, month, organisation or a space's series (space 100021)")
    if "period" in found and not _periods_meet(found.get("kind", frozenset()), found["period"]):
        kinds, periods = ",".join(sorted(found.get("kind", ()))) or "any", ",".join(sorted(found["period"]))
        raise ValueError(
            f"kind {kinds} with period {periods} matches no notice: a spike's period is its series (organisation, "
            "space 100021); a crossing's, a forecast's and the bill's a year or a month; no data, plan and monitor "
            "notices have none of these"
        )
    return found


# The kinds whose notices are of a year or a month (the others: a spike's series, or a pseudo-period).
CALENDAR_KINDS = frozenset({ACTUAL, FORECAST, DISAGREE, OVERAGE, MAXIMUM, CHEAPER})


def _periods_meet(kinds: frozenset[str], periods: frozenset[str]) -> bool:
    """Whether some notice of ``kinds`` (none given: any) can have one of ``periods``."""
    calendar = any(p in ("year", "month") for p in periods)
    series = any(p not in ("year", "month") for p in periods)
    return bool((calendar and (not kinds or kinds & CALENDAR_KINDS)) or (series and (not kinds or SPIKE in kinds)))
