"""Usage as Airflow metrics (pure): the gauges a usage check emits, named as Airflow names its own.

Each gauge has a name and tags (``storyblok_traffic.usage_pct`` with ``org``, ``meter`` and ``period``),
for backends that keep tags (StatsD with InfluxDB tags or Datadog, OpenTelemetry); and, as Airflow
names its own metrics for plain StatsD, a legacy name with the tags' values in it
(``storyblok_traffic.usage_pct.acme.requests.month``), since plain StatsD drops tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

PREFIX = "storyblok_traffic"
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")  # a dot would add a level to a legacy name


@dataclass(frozen=True)
class Gauge:
    name: str
    value: float
    tags: tuple[tuple[str, str], ...]

    @property
    def legacy_name(self) -> str:
        """The name with the tags' values in it, for StatsD without tags."""
        return ".".join([self.name, *(_UNSAFE.sub("_", value) for _, value in self.tags)])


@dataclass(frozen=True)
class PeriodFigures:
    """A period's figures as the check found them (``evaluation.result.PeriodSummary``)."""

    meter: str
    period: str
    percent: float | None
    projected_percent: float | None


def usage_gauges(
    org: str,
    periods: Sequence[PeriodFigures],
    bill: tuple[Decimal, str] | None,
    days_behind: int | None,
    open_notices: Mapping[str, int],
) -> list[Gauge]:
    """The gauges of one organisation's check. A figure the check could not make (no limit known, no
    forecast yet, no bill) is no gauge: a dashboard keeps its last value rather than a false 0."""
    found = []
    for p in periods:
        tags = (("org", org), ("meter", p.meter), ("period", p.period))
        if p.percent is not None:
            found.append(Gauge(f"{PREFIX}.usage_pct", round(p.percent, 4), tags))
        if p.projected_percent is not None:
            found.append(Gauge(f"{PREFIX}.projected_pct", round(p.projected_percent, 4), tags))
    if bill is not None:
        amount, currency = bill
        found.append(Gauge(f"{PREFIX}.projected_bill", float(amount), (("org", org), ("currency", currency))))
    if days_behind is not None:
        found.append(Gauge(f"{PREFIX}.days_behind", days_behind, (("org", org),)))
    for severity, count in open_notices.items():
        found.append(Gauge(f"{PREFIX}.open_notices", count, (("org", org), ("severity", severity))))
    return found
