"""The words and fields of spike notices (pure).

A spike alert keeps the day's amount in ``usage``, the series' normal in ``usage_limit``, the day the
monthly limit is reached at the spike day's rate in ``projected_on``, and the rest (factor, space,
share of the organisation's excess, the spaces behind an organisation's spike) as JSON in ``detail``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec

from storyblok_traffic.rules.alert_state import CLEAR, Alert
from storyblok_traffic.rules.plans import amount_text


class SpaceShare(msgspec.Struct, frozen=True):
    """A space behind an organisation's spike: its requests above its own normal, and their share."""

    space_id: str
    extra: int
    share: float


class SpikeDetail(msgspec.Struct, frozen=True):
    """A spike's first-day figures, kept as JSON in ``usage_alerts.detail`` (a field an older row lacks is None)."""

    space_id: str | None = None
    new: bool = False
    amount: int | None = None
    factor: float | None = None  # amount / normal; None when the normal is zero
    sigmas: float | None = None  # how far out of the series' own noise
    month_share: float | None = None  # the excess over the normal, in percent of the monthly limit
    org_excess_share: float | None = None  # a space's share of the organisation's excess
    spaces: tuple[SpaceShare, ...] = ()
    month_limit_at_this_rate: str | None = None

    def to_json(self) -> str:
        return msgspec.json.encode(self).decode()


_DECODER = msgspec.json.Decoder(SpikeDetail)


def figures(alert: Alert) -> SpikeDetail:
    """The spike's figures, decoded once per row (a notice, its subject and its fields all read them)."""
    return _decoded(alert.detail or "{}")


@lru_cache(maxsize=1024)
def _decoded(detail: str) -> SpikeDetail:
    return _DECODER.decode(detail)


def subject(org: str, head: Alert) -> str:
    where = org if head.space_id is None else f"{_space(head)} of {org}"
    if head.notice == CLEAR:
        return f"Storyblok traffic: {where} is back to normal"
    if figures(head).new:
        return f"Storyblok traffic: new {where} used {_n(head.meter, head.usage)} on {head.crossed_on}"
    what = "bandwidth" if head.meter == "bytes" else "traffic"
    return f"Storyblok traffic: {what} spike in {where} on {head.crossed_on}"


def line(alert: Alert, meter: str) -> str:
    f = figures(alert)
    weekday = f"{alert.crossed_on:%A}"
    if alert.notice == CLEAR:  # it repeats the start: that notice may not have gone out
        began = f"the spike began on {alert.crossed_on}"
        if f.amount is not None:
            times = f", {f.factor:g}x its normal" if f.factor else ""
            began += f" with {amount_text(meter, f.amount)}{times}"
        return (
            f"{_who(alert).capitalize()} is back to normal: {amount_text(meter, alert.usage)} on {alert.as_of}, its "
            f"normal {alert.as_of:%A} being {_n(meter, alert.usage_limit)} ({began})."
        )
    if f.new:
        text = (
            f"{_who(alert).capitalize()} is new: {amount_text(meter, alert.usage)} on {alert.crossed_on}, "
            f"with no traffic in the days before"
        )
    else:
        times = f"{f.factor:g}x its normal {weekday}" if f.factor else f"where a normal {weekday} has none"
        text = f"{_who(alert).capitalize()} used {amount_text(meter, alert.usage)} on {alert.crossed_on}, {times}"
        text += f" ({_n(meter, alert.usage_limit)})" if f.factor else ""
    if f.month_share is not None:
        text += f"; its excess burnt {f.month_share:g}% of the monthly limit"
    if f.org_excess_share is not None:
        text += f"; it is {f.org_excess_share:g}% of the organisation's excess"
    if f.spaces:
        text += "; above their own normal: " + ", ".join(
            f"space {s.space_id} (+{_n(meter, s.extra)}, {s.share:g}%)" for s in f.spaces
        )
    text += "."
    if alert.projected_on is not None:
        reached = (
            "is already reached" if alert.projected_on <= alert.crossed_on else f"is reached on {alert.projected_on}"
        )
        text += f" At this rate the monthly limit {reached}."
    return text


def fields(alert: Alert) -> dict[str, Any]:
    """The JSON webhook's ``spike``: the day told (the first, or the day back to normal) and the first day's figures."""
    f = figures(alert)
    return {
        "series": alert.period,
        "space_id": f.space_id,
        "new": f.new,
        "since": alert.crossed_on.isoformat(),
        "day": alert.as_of.isoformat(),
        "weekday": f"{alert.as_of:%A}",
        "amount": alert.usage,
        "normal": alert.usage_limit,
        "first_day_amount": f.amount,
        "factor": f.factor,  # of the first day
        "sigmas": f.sigmas,  # of the first day: how far out of the series' noise
        "month_share": f.month_share,  # of the first day: its excess, in percent of the monthly limit
        "org_excess_share": f.org_excess_share,
        "spaces": msgspec.to_builtins(f.spaces),
        "month_limit_at_this_rate": None if alert.projected_on is None else alert.projected_on.isoformat(),
    }


def _n(meter: str, amount: int) -> str:
    """An amount as the notice writes it beside its unit's other figures: ``48,210``, ``12.5 GB``."""
    return amount_text(meter, amount) if meter == "bytes" else f"{amount:,}"


def _space(alert: Alert) -> str:
    return f"space {alert.space_id}"


def _who(alert: Alert) -> str:
    return "the organisation" if alert.space_id is None else _space(alert)
