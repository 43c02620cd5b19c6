"""Usage rules: pure functions of numbers and dates (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Crossing:
    """A threshold reached: the first day the period's cumulative usage got to it."""

    threshold_pct: float
    crossed_on: date
    usage: int


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


def days_in_period_to_date(period_start: date, day: date) -> int:
    return (day - period_start).days + 1


def percent_of(usage: int, limit: int) -> float | None:
    """Usage as a percent of the limit; None when the limit is zero or unknown."""
    if limit <= 0:
        return None
    return round(usage * 100 / limit, 2)


def reached(usage: int, limit: int, threshold_pct: float) -> bool:
    """Exact decimal comparison: usage exactly at the threshold counts as reached."""
    return limit > 0 and Decimal(usage) * 100 >= Decimal(limit) * Decimal(str(threshold_pct))


def crossings(daily: Sequence[tuple[date, int]], limit: int, thresholds: Iterable[float]) -> list[Crossing]:
    """For each threshold the cumulative series reaches, the first day it does; ascending thresholds."""
    pending = sorted(thresholds)
    found: list[Crossing] = []
    total = 0
    for day, amount in sorted(daily):
        total += amount
        while pending and reached(total, limit, pending[0]):
            found.append(Crossing(pending.pop(0), day, total))
    return found


@dataclass(frozen=True)
class UsageSummary:
    """What check_usage found: logged, returned as XCom, shown in the UI."""

    org: str
    day: date
    period: str
    period_start: date
    metric: str
    usage: int
    limit: int
    percent: float | None
    thresholds: tuple[float, ...]
    crossed: tuple[float, ...]
    to_notify: tuple[float, ...]
    days_with_data: int
    days_in_period: int
    notes: tuple[str, ...] = field(default=())

    def to_xcom(self) -> dict[str, Any]:
        out = asdict(self)
        out["day"] = self.day.isoformat()
        out["period_start"] = self.period_start.isoformat()
        for key in ("thresholds", "crossed", "to_notify", "notes"):
            out[key] = list(out[key])
        return out

    def describe(self) -> str:
        pct = "unknown" if self.percent is None else f"{self.percent:.2f}%"
        return (
            f"{self.org}: {self.usage:,} of {self.limit:,} {self.metric} in the {self.period} from "
            f"{self.period_start} to {self.day} ({pct}); thresholds crossed: "
            f"{_pcts(self.crossed) or 'none'}; to notify: {_pcts(self.to_notify) or 'none'}; "
            f"days with data: {self.days_with_data} of {self.days_in_period}"
        )


def format_pct(value: float) -> str:
    return f"{value:g}%"


def _pcts(values: Iterable[float]) -> str:
    return ", ".join(format_pct(v) for v in values)
