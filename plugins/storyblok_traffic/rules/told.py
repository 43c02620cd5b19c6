"""What a notice tells beyond its row (pure): the figures read when it became due, stored with it
(``usage_alerts.figures``), from which its message is rendered, then and at any later time.

A message is never composed from figures read at sending time: a channel that is retried, or a
delivery rendered again from the warehouse, says what was recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import msgspec

from storyblok_traffic.rules.alert_state import Alert
from storyblok_traffic.rules.asset_use import AssetUse
from storyblok_traffic.rules.bill_lines import bill_sentence
from storyblok_traffic.rules.plans import Bill, used_text
from storyblok_traffic.rules.usage import percent_of


class MeterClosed(msgspec.Struct, frozen=True):
    """One meter over a period that has closed: what it used of what the period allowed."""

    meter: str
    used: int
    limit: int


class Closed(msgspec.Struct, frozen=True):
    """A billing period that closed while the checks caught up: told once by its closing figures."""

    start: date
    last: date
    meters: tuple[MeterClosed, ...]
    bill: Bill | None = None  # None without a known plan


class AfterSilence(msgspec.Struct, frozen=True):
    """An alarm told again because the silence that held it ended while it was still open."""

    id: str
    reason: str
    ended_at: str  # ISO 8601, UTC


class Figures(msgspec.Struct, frozen=True, omit_defaults=True):
    """A notice's figures as of its day."""

    limit_meter: str = ""  # the organisation's configured meter then ('': stored without figures)
    live_since: date | None = None  # when monitoring started (the first day after a history load)
    top_spaces: tuple[tuple[str, int], ...] = ()  # of its meter and period, largest first
    unknown_before: int = 0  # days of its period before its crossing day not stored: "by" that day
    bytes_not_in: int = 0  # days of its period whose bandwidth is not reported yet (a bandwidth notice)
    bill: dict[str, Any] | None = None  # the billing period as /api/usage's ``bill`` (the JSON webhook's)
    closed: Closed | None = None  # the period that closed meanwhile, when nothing was told since its end
    after_silence: AfterSilence | None = None  # due again: the silence that held it ended while it was open
    # A bandwidth notice: the files that carry most of its period's bytes (a spike's: of its day), largest
    # first, and the days of that range whose files are not stored (their bytes are in no file named).
    top_assets: tuple[AssetUse, ...] = ()
    asset_days_missing: int = 0
    files_through: date | None = None  # the range's newest day whose bytes are counted: its files end there


NONE = Figures()


def stored(figures: Figures) -> dict[str, Any]:
    """The figures as the warehouse's JSON column keeps them."""
    built: dict[str, Any] = msgspec.to_builtins(figures)
    return built


def of(alert: Alert) -> Figures:
    """An alert's stored figures; a notice recorded before figures were stored has none."""
    if not alert.figures:
        return NONE
    return msgspec.convert(alert.figures, Figures, strict=False)


def newest(alerts: Sequence[Alert]) -> Figures:
    """The figures of the batch's newest notice that has them: what the message as a whole says (its bill,
    when monitoring started, the period closed meanwhile). The watchdog's notices have none."""
    with_figures = [a for a in alerts if a.figures]
    if not with_figures:
        return NONE
    return of(max(with_figures, key=lambda a: a.as_of))


def top_spaces(alerts: Sequence[Alert]) -> dict[tuple[str, str, date], tuple[tuple[str, int], ...]]:
    """Per (meter, period, start): the top spaces of its newest notice that has them."""
    found: dict[tuple[str, str, date], tuple[date, tuple[tuple[str, int], ...]]] = {}
    for a in alerts:
        spaces = of(a).top_spaces
        key = (a.meter, a.period, a.period_start)
        if spaces and (key not in found or found[key][0] < a.as_of):
            found[key] = (a.as_of, spaces)
    return {key: spaces for key, (_, spaces) in found.items()}


def top_assets(alerts: Sequence[Alert]) -> dict[tuple[Any, ...], tuple[tuple[AssetUse, ...], int]]:
    """Per row whose notice names files (its newest in the batch): its files and the days of its range whose
    files are not stored."""
    return {
        a.key: (f.top_assets, f.asset_days_missing)
        for a in sorted(alerts, key=lambda a: (a.as_of, a.notice_seq))
        if (f := of(a)).top_assets or f.asset_days_missing
    }


def unknown_before(alerts: Sequence[Alert]) -> Mapping[tuple[Any, ...], int]:
    return {a.key: days for a in alerts if (days := of(a).unknown_before)}


def bytes_not_in(alerts: Sequence[Alert]) -> Mapping[tuple[Any, ...], int]:
    return {a.key: days for a in alerts if (days := of(a).bytes_not_in)}


def silences_ended(alerts: Sequence[Alert]) -> list[str]:
    """One line per silence whose end made notices of the batch due again (``warehouse.silences``)."""
    ended = {f.id: f for a in alerts if (f := of(a).after_silence) is not None}
    return [
        f"Silence {x.id} ({x.reason}) ended at {x.ended_at[:16].replace('T', ' ')} UTC; what it held is still open:"
        for x in sorted(ended.values(), key=lambda x: (x.ended_at, x.id))
    ]


def closed_line(closed: Closed) -> str:
    """``The month 2026-11-01 to 2026-11-30 closed at 884,765 of 1,000,000 requests (88.5%) and 559.4 GB
    of 400 GB (139.9%); its bill: USD 174.00 (base USD 99.00, overage USD 75.00: bandwidth 1 block).``"""
    period = "month" if (closed.last - closed.start).days < 32 else "year"
    used = " and ".join(f"{used_text(m.meter, m.used, m.limit)}{_share(m)}" for m in closed.meters)
    text = f"The {period} {closed.start} to {closed.last} closed at {used}"
    if closed.bill is None:
        return text + "."
    # "The bill so far: X (...)." said of a closed period is its final bill.
    money = bill_sentence(closed.bill, None, period).removeprefix("The bill so far: ")
    return f"{text}; its bill: {money}"


def _share(m: MeterClosed) -> str:
    share = percent_of(m.used, m.limit)
    return "" if share is None else f" ({share:.1f}%)"
