"""One formatter per alert kind (pure): a notice's subject and line, the report's line and the
delivery label, looked up in ``WORDING`` by the alert's kind instead of an if-chain in each place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from storyblok_traffic.rules import bill_lines, spike_lines
from storyblok_traffic.rules.alert_state import (
    ACTUAL,
    CHEAPER,
    CLEAR,
    DISAGREE,
    FORECAST,
    MAXIMUM,
    NEVER,
    NO_DATA,
    OVERAGE,
    PLAN,
    SILENT,
    SPIKE,
    Alert,
)
from storyblok_traffic.rules.meters import METER_NAMES, METER_NOUNS
from storyblok_traffic.rules.periods import ADJECTIVE
from storyblok_traffic.rules.plans import money, used_text
from storyblok_traffic.rules.usage import counted, format_pct, percent_of

# alert key -> days of its period before the crossing day that are not stored: the day is then a bound
UnknownBefore = Mapping[tuple[Any, ...], int]


@dataclass(frozen=True)
class Context:
    """What a notice's line needs beyond its alerts: the unit, the days not stored, the first live day."""

    limit_meter: str
    unknown: UnknownBefore
    live_since: date | None = None
    # per notice: the days of its period whose bandwidth Storyblok has not reported yet (a lower bound)
    not_in: Mapping[tuple[Any, ...], int] = field(default_factory=dict)


class Wording:
    """The base: the delivery label every kind shares; each kind says its subject, line and report line."""

    def subject(self, org: str, head: Alert) -> str:
        raise NotImplementedError

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        raise NotImplementedError

    def report_line(self, a: Alert) -> str:
        raise NotImplementedError

    def label(self, a: Alert) -> str:
        """What a channel took, in the task's log and the delivery summary."""
        return f"{a.period} {a.kind} {a.notice}"


class _Threshold(Wording):
    """A yearly or monthly threshold crossed (or, after a higher limit came into force, left)."""

    def subject(self, org: str, head: Alert) -> str:
        if head.notice == CLEAR:
            return f"Storyblok traffic: {org} is back within its {_limit(head)}"
        return f"Storyblok traffic: {org} has used {pct(head)} of its {_limit(head)}"

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        if head.notice == CLEAR:
            return (
                f"Back within the {_limit(head)}: {_used(head, ctx)} as of {head.as_of}, below the "
                f"{format_pct(head.threshold_pct)} threshold notified before (the limit in force changed)."
            )
        asides = []
        if before_monitoring(head, ctx.live_since):
            asides.append(f"before monitoring started on {ctx.live_since}")
        if missing := ctx.unknown.get(head.key, 0):
            asides.append(f"{counted(missing, 'earlier day')} not stored yet")
        if others:
            also = ", ".join(_also(a, head, ctx) for a in sorted(others, key=_threshold_of))
            asides.append(f"also crossed: {also}")
        aside = f" ({'; '.join(asides)})" if asides else ""
        return (
            f"{_limit(head).capitalize()}: {_used(head, ctx)} as of {head.as_of} in {_period(head)}. "
            f"Crossed the {format_pct(head.threshold_pct)} threshold {_on(head, ctx.unknown)}{aside}."
        )

    def report_line(self, a: Alert) -> str:
        return f"{_which(a)}: {a.threshold_pct:g}% crossed on {a.crossed_on} ({a.status})"

    def label(self, a: Alert) -> str:
        return f"{a.period} {a.meter} {a.kind} {a.threshold_pct:g}% {a.notice}"


class _Forecast(_Threshold):
    """A threshold the recent rate reaches before the period ends."""

    def subject(self, org: str, head: Alert) -> str:
        return (
            f"Storyblok traffic: {org} is forecast to reach {format_pct(head.threshold_pct)} of its "
            f"{_limit(head)} on {head.projected_on}"
        )

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        return (
            f"Forecast: at the recent rate, usage reaches {format_pct(head.threshold_pct)} of the {_limit(head)} "
            f"on {head.projected_on}, {_before_end(head)}; {_used(head, ctx)} as of {head.as_of}."
        )

    def report_line(self, a: Alert) -> str:
        return f"{_which(a)}: forecast {a.threshold_pct:g}% on {a.projected_on}, made on {a.crossed_on} ({a.status})"


def _before_end(head: Alert) -> str:
    """``before the month 2026-12-01 to 2026-12-31 ends``; on the period's last day itself, that day."""
    if head.projected_on is not None and head.projected_on == head.period_end:
        return f"the last day of {_period(head)}"
    return f"before {_period(head)} ends"


class _NoData(Wording):
    """No day stored after the newest one (or a hole): ``period_start`` is that day, ``NEVER`` for none."""

    def subject(self, org: str, head: Alert) -> str:
        since = "" if head.period_start == NEVER else f" after {head.period_start}"
        return f"Storyblok traffic: no data for {org}{since}"

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        if head.detail:
            return head.detail
        newest = (
            "No traffic is stored" if head.period_start == NEVER else f"The newest stored day is {head.period_start}"
        )
        return f"{newest}, checked for {head.as_of}: check the fetch task and the Storyblok connection."

    def report_line(self, a: Alert) -> str:
        return f"no data after {a.period_start} noticed on {a.crossed_on} ({a.status})"


class _Silent(Wording):
    """The watchdog's: ``usage`` holds the hours without a completed check, ``usage_limit`` the allowance."""

    def subject(self, org: str, head: Alert) -> str:
        return f"Storyblok traffic: monitor {'back' if head.notice == CLEAR else 'silent'} for {org}"

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        if head.notice == CLEAR:
            return f"Usage checks completed again on {head.as_of}; they had stopped after {head.crossed_on}."
        return (
            f"No usage check has completed for {head.usage} hours (allowed: {head.usage_limit}), the last one "
            f"on {head.crossed_on}: until checks run again there are no usage alerts and no no-data notices. "
            "Look at the organisation's DAG in Airflow: paused, failing, or no scheduler running?"
        )

    def report_line(self, a: Alert) -> str:
        back = f", checks again on {a.as_of}" if a.notice == CLEAR else ""
        return f"monitor silent after {a.crossed_on}{back} ({a.status})"


class _Disagree(Wording):
    """Storyblok's figure for the year against the stored one; ``detail`` says what to change."""

    def subject(self, org: str, head: Alert) -> str:
        return f"Storyblok traffic: figures disagree for {org}"

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        return f"{head.detail} (Storyblok's figure as of {head.as_of}.)"

    def report_line(self, a: Alert) -> str:
        return f"year from {a.period_start}: figures disagree on {a.crossed_on} ({a.status})"


class _Spike(Wording):
    """A series' spike episode (its words are in ``spike_lines``, with the figures they read)."""

    def subject(self, org: str, head: Alert) -> str:
        return spike_lines.subject(org, head)

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        return spike_lines.line(head, head.meter or ctx.limit_meter)

    def report_line(self, a: Alert) -> str:
        f = spike_lines.figures(a)
        if f.new:
            return f"{a.period}: {a.usage if f.amount is None else f.amount:,} on {a.crossed_on} ({a.status})"
        times = f", {f.factor:g}x its normal" if f.factor else ""
        # The day its end was recorded: a quiet end keeps the figures (and ``as_of``) of its last notice.
        end = f", back to normal on {a.evaluated_on}" if a.notice == CLEAR else ""
        what = "bandwidth spike" if a.meter == "bytes" else "spike"
        return f"{a.period}: {what} from {a.crossed_on}{times}{end} ({a.status})"


class _Overage(Wording):
    """The billing period's overage (so far or projected) past ``overage_alert``: figures in ``detail``."""

    def subject(self, org: str, head: Alert) -> str:
        return bill_lines.overage_subject(org, head)

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        return bill_lines.overage_line(head)

    def report_line(self, a: Alert) -> str:
        d = bill_lines.overage_of(a)
        projected = "" if d.projected_overage is None else f", projected {money(d.projected_overage, d.currency)}"
        return f"{a.period} from {a.period_start}: overage {money(d.overage, d.currency)}{projected} ({a.status})"


class _Maximum(Wording):
    """A meter at a percent of its hard maximum: urgent, as the API stops beyond it."""

    def subject(self, org: str, head: Alert) -> str:
        return bill_lines.maximum_subject(org, head)

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        return bill_lines.maximum_line(head)

    def report_line(self, a: Alert) -> str:
        return f"{_which(a)}: {a.threshold_pct:g}% of the maximum on {a.crossed_on} ({a.status})"

    def label(self, a: Alert) -> str:
        return f"{a.period} {a.meter} maximum {a.threshold_pct:g}% {a.notice}"


class _Said(Wording):
    """A notice whose sentence is its ``detail``: the plan disagreement and the cheaper plan."""

    def __init__(self, subject: str, report: str) -> None:
        self._subject, self._report = subject, report

    def subject(self, org: str, head: Alert) -> str:
        return f"Storyblok traffic: {self._subject.format(org=org)}"

    def line(self, head: Alert, others: Sequence[Alert], ctx: Context) -> str:
        return f"{head.detail} (as of {head.as_of}.)"

    def report_line(self, a: Alert) -> str:
        return f"{self._report} on {a.crossed_on} ({a.status})"


WORDING: Mapping[str, Wording] = {
    ACTUAL: _Threshold(),
    FORECAST: _Forecast(),
    NO_DATA: _NoData(),
    SILENT: _Silent(),
    DISAGREE: _Disagree(),
    SPIKE: _Spike(),
    OVERAGE: _Overage(),
    MAXIMUM: _Maximum(),
    PLAN: _Said("the configured plan and Storyblok's limit disagree for {org}", "plan and limit disagree"),
    CHEAPER: _Said("another plan would have cost {org} less, two months running", "another plan cheaper"),
}


def before_monitoring(alert: Alert, live_since: date | None) -> bool:
    """A crossing (or a data gap) that began before the first live check: told late, as the state now."""
    return (
        live_since is not None
        and alert.notice != CLEAR
        and alert.kind in (ACTUAL, NO_DATA)
        and alert.crossed_on < live_since
    )


def pct(alert: Alert) -> str:
    share = percent_of(alert.usage, alert.usage_limit)
    return "an unknown share" if share is None else f"{share:.1f}%"


def _adjective(alert: Alert) -> str:
    return ADJECTIVE.get(alert.period, alert.period)


def _used(alert: Alert, ctx: Context) -> str:
    """``412.3 GB of 400 GB (103.1%)``, in the alert's meter (``limit_meter`` for rows without one);
    ``(28.8%; 1 day's bandwidth not in yet)`` when days of its period have no bandwidth figure yet."""
    days = ctx.not_in.get(alert.key, 0)
    possessive = "day's" if days == 1 else "days'"
    missing = f"; {days} {possessive} bandwidth not in yet" if days else ""
    return f"{used_text(alert.meter or ctx.limit_meter, alert.usage, alert.usage_limit)} ({pct(alert)}{missing})"


def _noun(alert: Alert) -> str:
    """What the meter counts, as a noun before "limit": request or bandwidth (a row without a meter: usage)."""
    return METER_NOUNS.get(alert.meter, "usage")


def _which(alert: Alert) -> str:
    """``month from 2026-11-01, bandwidth``: a report line's period and meter."""
    return f"{alert.period} from {alert.period_start}, {METER_NAMES.get(alert.meter, 'usage')}"


def _limit(alert: Alert) -> str:
    """``monthly bandwidth limit``, ``yearly request limit``."""
    return f"{_adjective(alert)} {_noun(alert)} limit"


def _period(alert: Alert) -> str:
    return f"the {alert.period} {alert.period_start} to {alert.period_end}"


def _on(alert: Alert, unknown: UnknownBefore) -> str:
    """On the crossing day, or by it when earlier days of the period are missing (it may have been earlier)."""
    return f"{'by' if unknown.get(alert.key) else 'on'} {alert.crossed_on}"


def _threshold_of(alert: Alert) -> float:
    return alert.threshold_pct


def _also(alert: Alert, head: Alert, ctx: Context) -> str:
    """Another threshold in the same message; its day when it differs (a notice held back by a retry),
    and that it was reached before monitoring started when the line's own crossing was not."""
    on = "" if alert.crossed_on == head.crossed_on else f" {_on(alert, ctx.unknown)}"
    before = (
        " before monitoring started"
        if before_monitoring(alert, ctx.live_since) and not before_monitoring(head, ctx.live_since)
        else ""
    )
    return f"{format_pct(alert.threshold_pct)}{on}{before}"
