"""Storyblok's bill (pure): a plan's two meters, what each includes, its hard maximum and the price of
its overage blocks, and the bill of one billing period's usage.

Storyblok bills API requests and traffic (bandwidth: every outgoing byte). Beyond the included
amount, usage is sold in blocks, and a block started is a block paid (blocks round up). The maximum
is a hard cap: past it the API refuses requests. A plan billed yearly includes twelve months of
each meter and pays its overage per contract year (an assumption: Storyblok publishes monthly
figures only); its base price is the year's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from msgspec import Struct

from storyblok_traffic.rules.meters import METERS, MONTHS_BILLED, Billing, Meter

BYTES_PER_GB = 10**9


class Terms(Struct, frozen=True):
    """One meter of a plan, per month."""

    included: int
    max: int | None  # None: no hard maximum
    block_size: int
    block_price: Decimal


class Plan(Struct, frozen=True):
    name: str
    base_price: Decimal  # per billing period: a month, or a year when billed yearly
    currency: str
    billing: Billing
    requests: Terms
    bytes: Terms | None  # None: the bandwidth terms are not known

    def terms(self, meter: Meter) -> Terms | None:
        return self.requests if meter == "requests" else self.bytes


class MeterBill(Struct, frozen=True):
    """One meter's usage in a billing period, against its plan."""

    meter: Meter
    used: int
    included: int
    maximum: int | None
    blocks: int  # overage blocks billed (rounded up)
    overage: Decimal  # their price

    @property
    def over_maximum(self) -> bool:
        return self.maximum is not None and self.used > self.maximum


class Bill(Struct, frozen=True):
    plan: str
    currency: str
    base: Decimal
    meters: tuple[MeterBill, ...]

    @property
    def overage(self) -> Decimal:
        return sum((m.overage for m in self.meters), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.base + self.overage

    @property
    def over_maximum(self) -> tuple[Meter, ...]:
        """The meters past their hard maximum: the API refuses them, whatever the price."""
        return tuple(m.meter for m in self.meters if m.over_maximum)


def overage_blocks(used: int, included: int, block_size: int) -> int:
    """Blocks beyond ``included``, a started block counted whole."""
    over = used - included
    return 0 if over <= 0 else -(-over // block_size)


def meter_bill(meter: Meter, used: int, terms: Terms, months: int = 1) -> MeterBill:
    included = terms.included * months
    blocks = overage_blocks(used, included, terms.block_size)
    maximum = None if terms.max is None else terms.max * months
    return MeterBill(meter, used, included, maximum, blocks, blocks * terms.block_price)


def bill(plan: Plan, used: Mapping[Meter, int]) -> Bill:
    """The bill of one billing period: the base price and each known meter's overage.

    ``used`` is each meter's usage over the plan's billing period; a meter without usage or
    without terms is left out (it costs nothing that can be known).
    """
    months = MONTHS_BILLED[plan.billing]
    meters = tuple(
        meter_bill(meter, used[meter], terms, months)
        for meter in METERS
        if meter in used and (terms := plan.terms(meter)) is not None
    )
    return Bill(plan.name, plan.currency, plan.base_price, meters)


def what_if(plans: Sequence[Plan], used: Mapping[Meter, int]) -> list[Bill]:
    """The same usage billed on each plan, in the table's order."""
    return [bill(plan, used) for plan in plans]


def plan_with_limit(plans: Sequence[Plan], monthly_limit: int) -> Plan | None:
    """The plan whose included requests are Storyblok's reported monthly limit, if one is."""
    return next((p for p in plans if p.requests.included == monthly_limit), None)


def gigabytes(amount: int) -> float:
    return amount / BYTES_PER_GB


def amount_text(meter: Meter | str, amount: int) -> str:
    """``1,234,567 requests`` or ``412.3 GB``."""
    if meter == "bytes":
        return f"{gigabytes(amount):,.1f} GB"
    return f"{amount:,} requests"


def over_maximum_text(b: Bill) -> str | None:
    """Why a plan cannot carry the usage billed on it, in words; None when it can. ``not possible on this
    plan: its hard cap of 100,000 API requests would be exceeded by 821,690 requests; past a hard cap
    Storyblok's API refuses requests``. A bare price beside the plan would say it could (issue 37)."""
    over = [(m.meter, m.maximum, m.used - m.maximum) for m in b.meters if m.maximum is not None and m.used > m.maximum]
    if not over:
        return None
    # The verb once: "its hard cap of X would be exceeded by A, and its hard cap of Y by B".
    caps = [f"its {_cap(meter, cap)} {'would be exceeded ' if i == 0 else ''}by {amount_text(meter, excess)}"
            for i, (meter, cap, excess) in enumerate(over)]  # fmt: skip
    return f"not possible on this plan: {', and '.join(caps)}; past a hard cap Storyblok's API refuses requests"


def _cap(meter: Meter, maximum: int) -> str:
    if meter == "requests":
        return f"hard cap of {maximum:,} API requests"
    return f"hard cap of {_whole_gb(maximum)} GB of bandwidth"


def used_text(meter: Meter | str, used: int, limit: int) -> str:
    """``412,345 of 1,000,000 requests`` or ``412.3 GB of 400 GB``: a whole limit without decimals."""
    if meter == "bytes":
        return f"{gigabytes(used):,.1f} GB of {limit_text(meter, limit)}"
    return f"{used:,} of {limit_text(meter, limit)}"


def limit_text(meter: Meter | str, limit: int) -> str:
    """``1,000,000 requests`` or ``400 GB``: a limit, whole without decimals."""
    if meter == "bytes":
        return f"{_whole_gb(limit)} GB"
    return f"{limit:,} {meter or 'requests'}"


def _whole_gb(limit: int) -> str:
    """A limit in GB, without decimals when it is whole: ``400``, ``1,000``, ``2.5``."""
    size = gigabytes(limit)
    return f"{size:,.0f}" if size == int(size) else f"{size:,.1f}"


def money(amount: Decimal, currency: str) -> str:
    """``USD 1,234.50``: the currency's code, never a guessed symbol."""
    return f"{currency} {amount:,.2f}"
