"""The words and fields of the bill's notices (pure): the overage past the configured amount, a meter
near its hard maximum, the configured plan against Storyblok's limit, another plan cheaper two months
running, and the sentence on money every crossing notice ends with.

An overage alert keeps its figures as JSON in ``detail`` (``OverageDetail``): money is exact decimals
in the plan's currency, which the row's integer columns cannot hold. The others keep their sentence
in ``detail``; a maximum keeps the meter's usage and maximum in ``usage`` and ``usage_limit`` and the
day the maximum is reached (or projected to be) in ``projected_on``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from storyblok_traffic.rules.alert_state import Alert
from storyblok_traffic.rules.meters import METER_NAMES
from storyblok_traffic.rules.periods import ADJECTIVE
from storyblok_traffic.rules.plans import Bill, MeterBill, amount_text, money, used_text
from storyblok_traffic.rules.usage import percent_of


class MeterMoney(msgspec.Struct, frozen=True):
    """One meter's overage in the billing period: so far, and projected at its end (None: not projected)."""

    meter: str
    blocks: int
    overage: Decimal
    projected_blocks: int | None
    projected_overage: Decimal | None


class OverageDetail(msgspec.Struct, frozen=True):
    """An overage notice's figures, kept as JSON in ``usage_alerts.detail``."""

    currency: str
    base: Decimal
    overage: Decimal
    projected_overage: Decimal | None
    projected_total: Decimal | None
    overage_alert: Decimal  # the configured amount it was told past
    meters: tuple[MeterMoney, ...]

    def to_json(self) -> str:
        return msgspec.json.encode(self).decode()


def overage_detail(now: Bill, at_end: Bill | None, overage_alert: Decimal) -> OverageDetail:
    projected = {m.meter: m for m in at_end.meters} if at_end else {}
    meters = tuple(_meter_money(m, projected.get(m.meter)) for m in now.meters)
    return OverageDetail(
        currency=now.currency,
        base=now.base,
        overage=now.overage,
        projected_overage=None if at_end is None else at_end.overage,
        projected_total=None if at_end is None else at_end.total,
        overage_alert=overage_alert,
        meters=meters,
    )


def _meter_money(now: MeterBill, at_end: MeterBill | None) -> MeterMoney:
    return MeterMoney(
        now.meter,
        now.blocks,
        now.overage,
        None if at_end is None else at_end.blocks,
        None if at_end is None else at_end.overage,
    )


def overage_of(alert: Alert) -> OverageDetail:
    return msgspec.json.decode(alert.detail or "{}", type=OverageDetail)


def bill_sentence(now: Bill, at_end: Bill | None, period: str) -> str:
    """``The bill so far: USD 174.00 (base USD 99.00, overage USD 75.00: bandwidth 1 block); projected at
    the month's end: USD 249.00.``: the money every crossing notice ends with."""
    over = [f"{METER_NAMES[m.meter]} {_blocks(m.blocks)}" for m in now.meters if m.blocks]
    overage = f", overage {money(now.overage, now.currency)}: {', '.join(over)}" if over else ", no overage"
    text = f"The bill so far: {money(now.total, now.currency)} (base {money(now.base, now.currency)}{overage})"
    if at_end is not None:
        text += f"; projected at the {period}'s end: {money(at_end.total, at_end.currency)}"
        if at_end.over_maximum:
            text += f", with {_names(at_end.over_maximum)} over the hard maximum"
    return text + "."


def _blocks(count: int) -> str:
    return f"{count} block{'' if count == 1 else 's'}"


def _names(meters: Sequence[str]) -> str:
    return " and ".join(METER_NAMES[m] for m in meters)


# -- overage ------------------------------------------------------------------------------------------


def overage_subject(org: str, a: Alert) -> str:
    d = overage_of(a)
    if d.projected_overage is not None and d.projected_overage > d.overage:
        return (
            f"Storyblok traffic: {org}'s overage is projected at {money(d.projected_overage, d.currency)} "
            f"this {a.period}"
        )
    return f"Storyblok traffic: {org} has paid overage of {money(d.overage, d.currency)} this {a.period}"


def overage_line(a: Alert) -> str:
    d = overage_of(a)
    so_far = "; ".join(f"{METER_NAMES[m.meter]} {_blocks(m.blocks)}" for m in d.meters if m.blocks) or "none yet"
    span = f"the {a.period} {a.period_start} to {a.period_end}"
    text = f"Overage: {money(d.overage, d.currency)} so far in {span} ({so_far})"
    if d.projected_overage is not None:
        ahead = "; ".join(
            f"{METER_NAMES[m.meter]} {_blocks(m.projected_blocks)}" for m in d.meters if m.projected_blocks
        )
        text += f", projected {money(d.projected_overage, d.currency)} by its end ({ahead or 'none'})"
    if d.projected_total is not None:
        text += f"; the bill is projected at {money(d.projected_total, d.currency)} (base {money(d.base, d.currency)})"
    return text + f". Told once a {a.period}, above {money(d.overage_alert, d.currency)} (overage_alert)."


def overage_fields(a: Alert) -> dict[str, Any]:
    """The JSON webhook's ``bill`` of an overage notice: its figures, money as decimal strings."""
    fields: dict[str, Any] = msgspec.to_builtins(overage_of(a))
    return fields


# -- the hard maximum ---------------------------------------------------------------------------------


def maximum_subject(org: str, a: Alert) -> str:
    share = percent_of(a.usage, a.usage_limit)
    return (
        f"URGENT Storyblok traffic: {org} has used {share or 0:.1f}% of its {ADJECTIVE.get(a.period, a.period)} "
        f"{METER_NAMES.get(a.meter, a.meter)} maximum"
    )


def maximum_line(a: Alert) -> str:
    share = percent_of(a.usage, a.usage_limit)
    reached = a.usage >= a.usage_limit
    when = ""
    if a.projected_on is not None:
        when = f"; it {'was reached' if reached else 'is projected to be reached'} on {a.projected_on}"
    text = (
        f"Hard maximum of {METER_NAMES.get(a.meter, a.meter)}: {used_text(a.meter, a.usage, a.usage_limit)} "
        f"({share or 0:.1f}%) as of {a.as_of} in the {a.period} {a.period_start} to {a.period_end}{when}. "
        "Beyond the maximum Storyblok refuses the API: raise the plan or cut the traffic now."
    )
    return f"{text} {a.detail}" if a.detail else text


def maximum_note(included: int, maximum: int, meter: str) -> str | None:
    """What a maximum notice adds on a plan whose maximum is its included amount (Starter)."""
    if included != maximum:
        return None
    return (
        f"On this plan the maximum is the included amount ({amount_text(meter, maximum)}): usage beyond it "
        "is refused, or charged only if you opted in to overage."
    )
