"""An organisation's plan: a plan of the table (``plans.toml``, shipped with its sources and the date it
was read) with the contract's figures from the configuration, or the plan whose included requests
are the monthly limit Storyblok reports, said to be assumed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

import msgspec

from storyblok_traffic.config import OrgConfig, TermsOverride
from storyblok_traffic.rules.meters import MONTHS_BILLED
from storyblok_traffic.rules.plans import Plan, Terms, plan_with_limit

TITLES = {"starter": "Starter", "growth": "Growth", "growth_plus": "Growth Plus", "custom": "custom"}


@dataclass(frozen=True)
class PlanTable:
    plans: tuple[Plan, ...]  # monthly billing, the table's currency
    currency: str
    read_on: date
    sources: dict[str, str]

    def get(self, name: str) -> Plan | None:
        return next((p for p in self.plans if p.name == name), None)


@cache
def plan_table() -> PlanTable:
    raw = tomllib.loads(files("storyblok_traffic").joinpath("plans.toml").read_text())
    return table_of(raw)


def table_of(raw: dict[str, Any]) -> PlanTable:
    currency = raw["currency"]
    plans = tuple(
        msgspec.convert({"name": name, "currency": currency, "billing": "monthly", **fields}, Plan)
        for name, fields in raw["plans"].items()
    )
    return PlanTable(plans, currency, raw["read_on"], dict(raw["sources"]))


@dataclass(frozen=True)
class OrgPlan:
    """The plan an organisation is billed on, and how it was chosen (a sentence for the summary)."""

    plan: Plan | None  # None: no plan could be chosen; only the API's meter is monitored
    assumed: bool  # chosen from Storyblok's reported limit, not configured
    how: str
    disagreement: str | None = None  # the configured plan and Storyblok's limit disagree: what to check


def org_plan(org: OrgConfig, monthly_limit: int | None, table: PlanTable | None = None) -> OrgPlan:
    """``org``'s plan; ``monthly_limit``: the newest limit Storyblok reported (None: none stored yet)."""
    table = table or plan_table()
    limit_text = "no monthly limit yet" if monthly_limit is None else f"a monthly limit of {monthly_limit:,} requests"
    if org.plan is None:
        found = None if monthly_limit is None else plan_with_limit(table.plans, monthly_limit)
        if found is None:
            return OrgPlan(
                None,
                assumed=False,
                how=f"Storyblok reports {limit_text}, which no plan of the table includes: only that limit is "
                "watched and no bill is made (set plan)",
            )
        plan = _with_contract(found, org, table)
        return OrgPlan(
            plan,
            assumed=True,
            how=f"{TITLES[found.name]}, assumed: Storyblok reports {limit_text}, what {TITLES[found.name]} "
            "includes (set plan to be sure)",
        )
    plan = _custom(org, table) if org.plan == "custom" else _with_contract(_table_plan(table, org.plan), org, table)
    disagreement = None
    if monthly_limit is not None and monthly_limit != plan.requests.included:
        disagreement = (
            f"Storyblok reports {limit_text}, but the configured plan ({TITLES[org.plan]}) includes "
            f"{plan.requests.included:,}: check plan and plan_meters.requests.included against the contract"
        )
    return OrgPlan(plan, assumed=False, how=f"{TITLES[org.plan]} (configured)", disagreement=disagreement)


def _table_plan(table: PlanTable, name: str) -> Plan:
    plan = table.get(name)
    if plan is None:
        raise ValueError(f"plan {name!r} is not in the plan table ({', '.join(p.name for p in table.plans)})")
    return plan


def _with_contract(plan: Plan, org: OrgConfig, table: PlanTable) -> Plan:
    """The table's plan with every figure the configuration sets replaced."""
    base = org.base_price
    if base is None:  # the table's price is a month's
        base = plan.base_price * MONTHS_BILLED[org.billing]
    requests = _override(plan.requests, org.plan_meters.requests)
    size = _override(plan.bytes, org.plan_meters.bytes) if plan.bytes else None
    return msgspec.structs.replace(
        plan,
        base_price=base,
        currency=org.currency or table.currency,
        billing=org.billing,
        requests=requests,
        bytes=size,
    )


def _override(terms: Terms, contract: TermsOverride | None) -> Terms:
    if contract is None:
        return terms
    fields = ("included", "max", "block_size", "block_price")
    changes = {f: v for f in fields if (v := getattr(contract, f)) is not None}
    return msgspec.structs.replace(terms, **changes)


def _custom(org: OrgConfig, table: PlanTable) -> Plan:
    """A plan from the configuration alone (``config`` has checked the figures it needs are set)."""
    requests = _custom_terms(org.plan_meters.requests)
    assert requests is not None
    assert org.base_price is not None
    return Plan(
        name="custom",
        base_price=org.base_price,
        currency=org.currency or table.currency,
        billing=org.billing,
        requests=requests,
        bytes=_custom_terms(org.plan_meters.bytes),
    )


def _custom_terms(contract: TermsOverride | None) -> Terms | None:
    """A custom plan's meter, when the contract's figures are all set; else unknown (no bill of it)."""
    if contract is None or not (contract.included and contract.block_size and contract.block_price is not None):
        return None
    return Terms(contract.included, contract.max, contract.block_size, contract.block_price)
