"""The bill's observations as of a day, from the billing period's figures (``evaluation.meters``): the
overage past ``overage_alert``, each meter at a percent of its hard maximum, the configured plan against
the limit Storyblok reports, and another plan of the table cheaper for the two months just closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from storyblok_traffic.billing import TITLES, plan_table
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.meters import BillFigures, MeterUse
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.bill_lines import bill_sentence, maximum_note, overage_detail
from storyblok_traffic.rules.meters import METER_NAMES, METERS, Meter
from storyblok_traffic.rules.periods import Window, window_of
from storyblok_traffic.rules.plans import Bill, Plan, bill, money
from storyblok_traffic.rules.usage import least_reaching, limit_in_force
from storyblok_traffic.warehouse.stored_days import StoredDays


@dataclass(frozen=True)
class BillCheck:
    """What the bill adds to a day's check: its observations, the rows they key, the crossings' sentence."""

    seen: list[st.Observation]
    keys: list[tuple[str, date]]  # (period, period start) of every row they may move
    sentence: str | None  # the money a crossing notice ends with; None without a bill
    note: str | None = None  # without a plan: why only the limit meter (``limit_meter``) is watched


def bill_check(org: OrgConfig, stored: StoredDays, day: date, figures: BillFigures) -> BillCheck:
    if figures.window is None or figures.now is None or figures.chosen.plan is None:
        other = METER_NAMES["bytes" if org.limit_meter == "requests" else "requests"]
        return BillCheck([], [], None, f"{other} and the bill are not watched: {figures.chosen.how}")
    w, plan = figures.window, figures.chosen.plan
    seen = [*_overage(org, figures, w), *_maxima(org, stored, day, figures.meters, w)]
    keys: list[tuple[str, date]] = [(w.period, w.start)]
    limits = limit_in_force(stored.limit_history(), day)
    if figures.chosen.disagreement and limits is not None:
        seen.append(
            st.Observation(
                org.org, st.PLAN_PERIOD, limits.as_of, None, st.PLAN, 0.0, True, day,
                detail=figures.chosen.disagreement, meter="requests",
            )
        )  # fmt: skip
        keys.append((st.PLAN_PERIOD, limits.as_of))
    # Advice to change plan rests on the contract's price: never on a plan assumed from Storyblok's limit.
    cheaper = None if figures.chosen.assumed else _cheaper(org, stored, day, plan)
    if cheaper is not None:
        seen.append(cheaper)
        keys.append((cheaper.period, cheaper.period_start))
    return BillCheck(seen, keys, bill_sentence(figures.now, figures.at_end, w.period))


def _overage(org: OrgConfig, figures: BillFigures, w: Window) -> list[st.Observation]:
    now, at_end = figures.now, figures.at_end
    if org.overage_alert is None or now is None:
        return []
    over = max(now.overage, at_end.overage if at_end else now.overage)
    detail = overage_detail(now, at_end, org.overage_alert).to_json()
    in_alarm = over > org.overage_alert
    return [st.Observation(org.org, w.period, w.start, w.last, st.OVERAGE, 0.0, in_alarm, None, detail=detail)]


def _maxima(org: OrgConfig, stored: StoredDays, day: date, uses: Sequence[MeterUse], w: Window) -> list[st.Observation]:
    """Each meter with a maximum at each of ``maximum_thresholds``: crossed on the day its running total
    reached that share of the maximum (complete days only)."""
    found = []
    for use in uses:
        maximum = use.now.maximum
        if not maximum or not org.maximum_thresholds:
            continue
        note = maximum_note(use.now.included, maximum, use.meter)
        for pct in org.maximum_thresholds:
            crossed = stored.day_reaching(use.meter, w.start, day, least_reaching(maximum, pct))
            found.append(
                st.Observation(
                    org.org, w.period, w.start, w.last, st.MAXIMUM, pct, crossed is not None, crossed,
                    use.used, maximum, use.maximum_on, note, meter=use.meter,
                )
            )  # fmt: skip
    return found


def _cheaper(org: OrgConfig, stored: StoredDays, day: date, plan: Plan) -> st.Observation | None:
    """Another plan of the table cheaper than the organisation's own for both months just closed (each
    with every meter's days in), and within its maxima in both; monthly billing in the table's currency only."""
    if plan.billing != "monthly" or plan.currency != plan_table().currency:
        return None
    last = window_of("month", window_of("month", day, org.year_start).start - timedelta(days=1), org.year_start)
    before = window_of("month", last.start - timedelta(days=1), org.year_start)
    months = [u for m in (before, last) if (u := _month_use(stored, plan, m)) is not None]
    if len(months) < 2:
        return None
    detail = _cheapest(plan, before, last, tuple(tuple(sorted(u.items())) for u in months))
    if detail is None:
        return None
    return st.Observation(org.org, "month", last.start, last.last, st.CHEAPER, 0.0, True, day, detail=detail)


@lru_cache(maxsize=256)
def _cheapest(
    plan: Plan, before: Window, last: Window, months: tuple[tuple[tuple[Meter, int], ...], ...]
) -> str | None:
    """The sentence naming the cheapest other plan for the two months' usage; None: none is cheaper.
    Cached: a check of many days asks the same two months again each day of the month after."""
    own = [bill(plan, dict(u)) for u in months]
    options = []
    for other in plan_table().plans:
        bills = [bill(other, dict(u)) for u in months]
        if other.name != plan.name and all(
            not b.over_maximum and b.total < o.total for b, o in zip(bills, own, strict=True)
        ):
            options.append((sum(b.total for b in bills), other, bills))
    if not options:
        return None
    _, best, bills = min(options, key=lambda option: option[0])
    return _cheaper_sentence(best, bills, own, plan, (before, last))


def _month_use(stored: StoredDays, plan: Plan, month: Window) -> dict[Meter, int] | None:
    """Each metered meter's usage in ``month``; None while a day of it lacks a meter's figure."""
    used: dict[Meter, int] = {}
    for meter in METERS:
        if plan.terms(meter) is None:
            continue
        total, days = stored.meter_total(meter, month.start, month.last)
        if days < month.days:
            return None
        used[meter] = total
    return used


def _cheaper_sentence(
    best: Plan, bills: Sequence[Bill], own: Sequence[Bill], plan: Plan, months: Sequence[Window]
) -> str:
    names = [m.start.strftime("%Y-%m") for m in months]
    costs = " and ".join(f"{money(b.total, b.currency)} in {n}" for b, n in zip(bills, names, strict=True))
    mine = " and ".join(money(b.total, b.currency) for b in own)
    return (
        f"{TITLES.get(best.name, best.name)} would have cost {costs}, against {mine} on "
        f"{TITLES.get(plan.name, plan.name)} (yours): worth a look at changing plan, after checking the table's "
        "figures against Storyblok's offer"
    )
