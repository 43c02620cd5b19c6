"""What a usage check found: ``Evaluation`` and its views, logged and pushed as XCom ``usage_summary``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from storyblok_traffic.rules.meters import METER_NAMES, Meter
from storyblok_traffic.rules.periods import Period
from storyblok_traffic.rules.plans import amount_text, used_text
from storyblok_traffic.rules.usage import format_pct
from storyblok_traffic.xcom import dump


@dataclass(frozen=True)
class AlertView:
    kind: str  # actual or forecast
    threshold_pct: float
    status: str
    crossed_on: date
    projected_on: date | None = None

    def describe(self) -> str:
        text = f"{format_pct(self.threshold_pct)} {self.status}"
        if self.kind == "forecast":
            return f"forecast {text} (projected {self.projected_on})"
        return text


@dataclass(frozen=True)
class ForecastView:
    basis_days: int
    daily_rate: float
    projected_usage: int
    projected_percent: float | None
    crossings: dict[str, date]  # threshold ("100%") -> projected day


@dataclass(frozen=True)
class PeriodSummary:
    meter: Meter  # requests or bytes: the configured meter's (against Storyblok's limit) come first
    period: Period
    start: date
    last: date
    usage: int
    limit: int
    percent: float | None
    thresholds: tuple[float, ...]
    days_with_data: int
    days_so_far: int
    forecast: ForecastView | None
    alerts: tuple[AlertView, ...]
    notes: tuple[str, ...] = field(default=())
    bytes_missing: int = 0  # stored days of the period whose bytes Storyblok has not reported yet

    def describe(self) -> str:
        pct = "unknown" if self.percent is None else f"{self.percent:.2f}%"
        text = (
            f"{METER_NAMES[self.meter]}, {self.period} {self.start}..{self.last}: "
            f"{used_text(self.meter, self.usage, self.limit)} ({pct}), "
            f"{self.days_with_data} of {self.days_so_far} days stored"
        )
        if self.forecast:
            f = self.forecast
            text += f"; forecast {amount_text(self.meter, f.projected_usage)} by {self.last} from {f.basis_days} days"
            if f.crossings:
                text += " (" + ", ".join(f"{t} on {d}" for t, d in f.crossings.items()) + ")"
        text += "; alerts: " + (", ".join(a.describe() for a in self.alerts) or "none")
        return text


@dataclass(frozen=True)
class ReconciliationView:
    """Storyblok's ``traffic_used_this_year`` against the stored days (on the check of the newest day)."""

    reported: int
    stored_requests: int
    stored_bytes: int
    matches: str | None  # requests, bytes, or None: neither is within 1 %
    year_start: date  # of the year that matched, else of the contract year
    missing_days: int
    difference_pct: float  # Storyblok's figure minus the configured reading, in percent of the figure


@dataclass(frozen=True)
class SpikeView:
    """A series in a spike on the evaluated day (``organisation``, ``space <id>``)."""

    series: str
    status: str  # spike, or new (a space that had no traffic in the window)
    amount: int
    normal: int  # the median of the same weekday in the window
    factor: float | None  # amount / normal; None when the normal is zero
    since: date  # the episode's first day

    def describe(self, meter: str) -> str:
        if self.status == "new":
            return f"{self.series}: new, {self.amount:,} {meter}"
        times = "from a normal of 0" if self.factor is None else f"{self.factor:g}x its normal {self.normal:,}"
        return f"{self.series}: {self.amount:,} {meter}, {times} (since {self.since})"


@dataclass(frozen=True)
class BillView:
    """The billing period's bill as of the evaluated day: its plan, so far (and its overage), and
    projected at its end (None: not every meter has a projection yet)."""

    plan: str
    currency: str
    so_far: Decimal
    overage: Decimal
    projected: Decimal | None


@dataclass(frozen=True)
class Evaluation:
    org: str
    day: date
    limit_meter: str
    quiet: bool  # the day is older than the lookback: alerts are recorded, not sent
    newest_day: date | None
    periods: tuple[PeriodSummary, ...]
    data_alert: AlertView | None
    pending_notices: int  # waiting to be sent for this organisation (this run's and any left over)
    notes: tuple[str, ...] = field(default=())
    reconciliation: ReconciliationView | None = None
    spikes: tuple[SpikeView, ...] = ()
    bill: BillView | None = None  # None: no plan known, so no bill

    def describe(self) -> str:
        lines = [f"{self.org} as of {self.day} ({self.limit_meter}):"]
        lines += [f"  {p.describe()}" for p in self.periods]
        if self.spikes:
            lines.append("  spikes: " + "; ".join(s.describe(self.limit_meter) for s in self.spikes))
        lines.append(
            f"  newest stored day: {self.newest_day or 'none'}; notices pending: {self.pending_notices}"
            + ("; older than the lookback, so nothing is sent" if self.quiet else "")
        )
        return "\n".join(lines)

    def all_notes(self) -> tuple[str, ...]:
        return self.notes + tuple(
            f"{p.period}{'' if p.meter == self.limit_meter else ' (' + METER_NAMES[p.meter] + ')'}: {note}"
            for p in self.periods
            for note in p.notes
        )

    def to_xcom(self) -> dict[str, Any]:
        return dump(self)
