"""Both of Storyblok's meters over the billing period, and the bill they make: what is used so far, what
the period's end is projected at, the overage in blocks and money, and the day the hard maximum is
reached or projected to be.

A day's bytes count once Storyblok has reported them: a meter's figure and its projection come from
its complete days only, and the days still missing are counted and said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from storyblok_traffic.billing import OrgPlan, org_plan, plan_table
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.rules.forecast import project
from storyblok_traffic.rules.meters import METERS, Meter
from storyblok_traffic.rules.periods import Window, window_of
from storyblok_traffic.rules.plans import Bill, MeterBill, Plan, Terms, bill, meter_bill, what_if
from storyblok_traffic.rules.usage import limit_in_force
from storyblok_traffic.warehouse.stored_days import StoredDays, complete_days

PERIOD_OF_BILLING = {"monthly": "month", "yearly": "year"}


@dataclass(frozen=True)
class MeterUse:
    """One meter in the billing period, as of a day."""

    meter: Meter
    used: int  # the period's days with this meter's figure, summed
    days_missing: int  # days of the period up to the as-of day without this meter's figure
    projected: int | None  # at the period's end, from complete days; None: too few of them
    maximum_on: date | None  # the day the hard maximum was reached, or is projected to be in this period
    now: MeterBill
    at_end: MeterBill | None


@dataclass(frozen=True)
class BillFigures:
    """The billing period's bill so far and projected, and the month's projection on every plan."""

    chosen: OrgPlan
    window: Window | None  # the billing period; None without a plan
    meters: tuple[MeterUse, ...]
    now: Bill | None
    at_end: Bill | None  # None: a meter has too few complete days to project
    what_if: tuple[Bill, ...]  # the month's projection (or usage so far) billed on each plan of the table


def bill_figures(stored: StoredDays, org: OrgConfig, as_of: date, plans: bool = True) -> BillFigures:
    """``plans``: also bill the month on every plan of the table (the dashboard's what-if; checks skip it)."""
    limits = limit_in_force(stored.limit_history(), as_of)
    chosen = org_plan(org, limits.monthly if limits else None)
    if chosen.plan is None:
        return BillFigures(chosen, None, (), None, None, ())
    plan = chosen.plan
    window = window_of(PERIOD_OF_BILLING[plan.billing], as_of, org.year_start)
    uses = tuple(_use(stored, org, meter, terms, window, as_of) for meter, terms in _metered(plan))
    now = bill(plan, {u.meter: u.used for u in uses})
    complete = all(u.projected is not None for u in uses)
    at_end = bill(plan, {u.meter: u.projected or 0 for u in uses}) if complete else None
    if not plans:
        return BillFigures(chosen, window, uses, now, at_end, ())
    month = window if window.period == "month" else window_of("month", as_of, org.year_start)
    monthly = uses if month == window else tuple(_use(stored, org, m, t, month, as_of) for m, t in _metered(plan))
    expected = {u.meter: u.used if u.projected is None else u.projected for u in monthly}
    # The organisation's own row is its own plan (the contract's figures), when it is billed by the month.
    table = [plan if p.name == plan.name and plan.billing == "monthly" else p for p in plan_table().plans]
    return BillFigures(chosen, window, uses, now, at_end, tuple(what_if(table, expected)))


def _metered(plan: Plan) -> list[tuple[Meter, Terms]]:
    return [(meter, terms) for meter in METERS if (terms := plan.terms(meter)) is not None]


def _use(stored: StoredDays, org: OrgConfig, meter: Meter, terms: Terms, window: Window, as_of: date) -> MeterUse:
    months = 12 if window.period == "year" else 1
    used, complete = stored.meter_total(meter, window.start, as_of)
    missing = window.days_to(as_of) - complete
    maximum = None if terms.max is None else terms.max * months
    reached = stored.day_reaching(meter, window.start, as_of, maximum)
    # the projection runs from the newest complete day: the days after it are projected, not taken as 0
    last = stored.newest_complete(meter, window.start, as_of) or as_of
    recent = complete_days(stored, meter, last - timedelta(days=org.forecast_window_days - 1), last)
    forecast = project(
        recent,
        last,
        window.last,
        used,
        maximum or 0,
        [100.0] if maximum else [],
        org.forecast_window_days,
        org.forecast_min_days,
    )
    projected = None if forecast is None else forecast.projected_usage
    if reached is None and forecast is not None and maximum:
        reached = forecast.crossing_of(100.0)
    at_end = None if projected is None else meter_bill(meter, projected, terms, months)
    return MeterUse(meter, used, missing, projected, reached, meter_bill(meter, used, terms, months), at_end)
