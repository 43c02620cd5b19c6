"""The bill as a document: the ``bill`` of ``/api/usage`` and of the JSON webhook's messages, typed, from
the billing period's figures (``evaluation.meters.BillFigures``). It lives apart from the UI so that the
notifications and the dashboard serve one shape without one importing the other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from storyblok_traffic.billing import TITLES, plan_table
from storyblok_traffic.rules.plans import amount_text, over_maximum_text
from storyblok_traffic.rules.usage import percent_of

if TYPE_CHECKING:
    from storyblok_traffic.evaluation.meters import BillFigures, MeterUse


class Document(BaseModel):
    """A typed document the package serves: every field declared, nothing else accepted."""

    model_config = ConfigDict(extra="forbid")


class MeterBill(Document):
    """One meter over the billing period; amounts in requests or bytes, money in the bill's currency."""

    meter: Literal["requests", "bytes"]
    used: int = Field(description="the period's days with this meter's figure, summed")
    used_text: str = Field(description="used, in its unit: '1,234,567 requests' or '412.3 GB'")
    included: int
    maximum: int | None = Field(description="the hard maximum (the API refuses beyond it); null: none")
    percent_of_included: float | None
    days_missing: int = Field(description="days of the period so far whose figure of this meter is not in yet")
    projected: int | None = Field(description="at the period's end, from complete days; null: too few of them")
    maximum_on: str | None = Field(description="the day the maximum was reached or is projected to be reached")
    overage_blocks: int = Field(description="blocks beyond the included amount so far (a started block counts)")
    overage: Decimal
    projected_overage_blocks: int | None
    projected_overage: Decimal | None


class WhatIf(Document):
    """The month's projected usage billed on one plan of the table (its prices and currency)."""

    plan: str
    title: str = Field(description="the plan's name as Storyblok writes it")
    currency: str
    total: Decimal = Field(description="base price and overage")
    over_maximum: list[Literal["requests", "bytes"]] = Field(description="meters past the plan's maximum")
    over_maximum_text: str | None = Field(
        description="why the plan cannot carry the month, in words (which hard cap, by how much, what a cap "
        "does); null: it can"
    )
    current: bool = Field(description="the organisation's own plan")


class Bill(Document):
    """The plan and the bill of the current billing period (a month, or the contract year if billed yearly)."""

    plan: str | None = Field(description="null: no plan could be chosen (see 'how')")
    assumed: bool = Field(description="the plan was chosen from Storyblok's monthly limit, not configured")
    how: str = Field(description="how the plan was chosen, in a sentence")
    disagreement: str | None = Field(description="the configured plan and Storyblok's limit disagree: what to check")
    currency: str | None
    billing: Literal["monthly", "yearly"] | None
    period_start: str | None
    period_end: str | None
    base_price: Decimal | None
    meters: list[MeterBill]
    overage: Decimal | None = Field(description="the overage so far, all meters")
    projected_overage: Decimal | None
    projected_total: Decimal | None = Field(description="base price and projected overage; null: no projection")
    what_if: list[WhatIf] = Field(description="the month's projection on each plan of the table")
    plan_table_read_on: str = Field(description="the day the shipped plan table was read from Storyblok's pages")


def bill_document(found: BillFigures) -> Bill:
    """The ``bill`` of ``/api/usage``: the plan, each meter's bill so far and projected, the what-if."""
    plan, window, now, at_end = found.chosen.plan, found.window, found.now, found.at_end
    own = plan.name if plan is not None else None
    return Bill(
        plan=own,
        assumed=found.chosen.assumed,
        how=found.chosen.how,
        disagreement=found.chosen.disagreement,
        currency=plan.currency if plan else None,
        billing=plan.billing if plan else None,
        period_start=_iso(window.start if window else None),
        period_end=_iso(window.last if window else None),
        base_price=plan.base_price if plan else None,
        meters=[_meter(use) for use in found.meters],
        overage=now.overage if now else None,
        projected_overage=at_end.overage if at_end else None,
        projected_total=at_end.total if at_end else None,
        what_if=[
            WhatIf(
                plan=b.plan,
                title=TITLES[b.plan],
                currency=b.currency,
                total=b.total,
                over_maximum=list(b.over_maximum),
                over_maximum_text=over_maximum_text(b),
                current=b.plan == own,
            )
            for b in found.what_if
        ],
        plan_table_read_on=plan_table().read_on.isoformat(),
    )


def _meter(use: MeterUse) -> MeterBill:
    return MeterBill(
        meter=use.meter,
        used=use.used,
        used_text=amount_text(use.meter, use.used),
        included=use.now.included,
        maximum=use.now.maximum,
        percent_of_included=percent_of(use.used, use.now.included),
        days_missing=use.days_missing,
        projected=use.projected,
        maximum_on=_iso(use.maximum_on),
        overage_blocks=use.now.blocks,
        overage=use.now.overage,
        projected_overage_blocks=use.at_end.blocks if use.at_end else None,
        projected_overage=use.at_end.overage if use.at_end else None,
    )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
