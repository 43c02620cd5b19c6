"""The words people read in notifications (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from storyblok_traffic.usage import UsageSummary, format_pct
from storyblok_traffic.warehouse.alerts import Alert


def threshold_message(summary: UsageSummary, alerts: Sequence[Alert]) -> str:
    """One message for a run, naming the highest newly crossed threshold and listing the others."""
    highest = max(alerts, key=lambda a: a.threshold_pct)
    others = sorted(a.threshold_pct for a in alerts if a is not highest)
    pct = "an unknown share" if summary.percent is None else f"{summary.percent:.1f}%"
    text = (
        f"Storyblok traffic: {summary.org} has used {pct} of its {summary.period}ly limit "
        f"({summary.usage:,} of {summary.limit:,} {summary.metric}) as of {summary.day}. "
        f"It crossed the {format_pct(highest.threshold_pct)} threshold on {highest.crossed_on}."
    )
    if others:
        text += " Also crossed: " + ", ".join(format_pct(p) for p in others) + "."
    return text
