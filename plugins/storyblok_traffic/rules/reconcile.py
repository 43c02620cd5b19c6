"""Reconciliation with Storyblok's own figure (pure): which stored sum ``traffic_used_this_year`` matches.

Storyblok does not document whether its limit counts requests or bytes, nor whether "this year" is
the calendar or the contract year. Its ``traffic_used_this_year`` is the only independent number: the
stored days of the year, summed each way, tell which reading it is, and so whether the configured
``limit_meter`` and contract year are right. The figure is "as of now", so it holds part of the day it was
fetched, which is never stored yet: a match allows for up to one more day of traffic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from storyblok_traffic.rules.usage import counted

TOLERANCE_PCT = 1.0  # a match is within 1 % of Storyblok's figure (plus the day in progress)


@dataclass(frozen=True)
class Candidate:
    """One reading of "traffic used this year": a meter summed over the stored days of a year."""

    meter: str  # requests or bytes
    year_start: date
    stored: int
    missing_days: int  # days of the year before the figure's day without a stored value
    day_allowance: int  # the largest recent stored day: an upper bound of the day in progress

    def matches(self, reported: int) -> bool:
        slack = reported * TOLERANCE_PCT / 100
        return -slack <= reported - self.stored <= slack + self.day_allowance


@dataclass(frozen=True)
class Comparison:
    """Storyblok's figure against the stored readings: the one it matches, if any, and what to change."""

    reported: int
    configured: Candidate
    matched: Candidate | None
    stored_requests: int  # over the year shown (the matched one, else the configured one)
    stored_bytes: int
    advice: str | None  # None: the configured reading matches

    @property
    def year_start(self) -> date:
        return (self.matched or self.configured).year_start

    @property
    def missing_days(self) -> int:
        return (self.matched or self.configured).missing_days

    @property
    def difference_pct(self) -> float:
        """How far the configured reading is from Storyblok's figure, in percent of the figure."""
        if self.reported == 0:
            return 0.0
        return round((self.reported - self.configured.stored) * 100 / self.reported, 2)


def reconcile(reported: int, configured: Candidate, others: Sequence[Candidate]) -> Comparison:
    """Judge Storyblok's figure against the configured reading first, then the others (each meter, each year)."""
    matched = next((c for c in (configured, *others) if c.matches(reported)), None)
    shown = matched or configured
    same_year = [c for c in (configured, *others) if c.year_start == shown.year_start]
    sums = {c.meter: c.stored for c in same_year}
    return Comparison(
        reported=reported,
        configured=configured,
        matched=matched,
        stored_requests=sums.get("requests", 0),
        stored_bytes=sums.get("bytes", 0),
        advice=_advice(reported, configured, matched, sums),
    )


def _advice(reported: int, configured: Candidate, matched: Candidate | None, sums: dict[str, int]) -> str | None:
    if matched is configured:
        return None
    stored = f"{sums.get('requests', 0):,} requests and {sums.get('bytes', 0):,} bytes"
    if matched is None:
        since = configured.year_start
        head = f"Storyblok reports {reported:,} used this year; the stored days since {since} sum to {stored}"
        if configured.missing_days:
            return (
                f"{head}, with {counted(configured.missing_days, 'day')} missing: run storyblok_traffic_backfill "
                "for the missing days, then compare again."
            )
        return (
            f"{head}, with no day missing, and neither matches: Storyblok counts differently from its daily "
            "statistics, so check `limit_meter` and the contract year (`year_start_month`, `year_start_day`)."
        )
    settings = []
    if matched.meter != configured.meter:
        settings.append(f"`limit_meter: {matched.meter}`")
    if matched.year_start != configured.year_start:
        settings.append(f"`year_start_month: {matched.year_start.month}`, `year_start_day: {matched.year_start.day}`")
    return (
        f"Storyblok reports {reported:,} used this year, which matches the stored {matched.meter} since "
        f"{matched.year_start} ({stored}), not the configured {configured.meter} since {configured.year_start}: "
        f"set {' and '.join(settings)} for this organisation."
    )
