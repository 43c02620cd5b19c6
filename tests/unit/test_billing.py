"""An organisation's plan: the table shipped with its sources, the contract's figures over it, the plan
assumed from Storyblok's limit (and said so), and a configured plan that disagrees with that limit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from storyblok_traffic.billing import org_plan, plan_table
from storyblok_traffic.config import ConfigError, MonitorConfig, OrgConfig


def org(**settings: object) -> OrgConfig:
    return MonitorConfig.from_dict({"organisations": [settings]}).organisations[0]


def test_the_table_ships_with_its_sources_and_the_day_it_was_read():
    table = plan_table()
    assert [p.name for p in table.plans] == ["starter", "growth", "growth_plus"]
    assert table.read_on == date(2026, 12, 5)
    assert table.currency == "USD"
    assert "technical-limits" in table.sources["requests"]
    assert "Estimates" in table.sources["estimates"]
    growth = table.get("growth")
    assert growth is not None
    assert (growth.requests.included, growth.requests.max, growth.base_price) == (1_000_000, 5_000_000, Decimal(99))


def test_without_a_plan_the_one_matching_storyblok_s_limit_is_assumed_and_said():
    chosen = org_plan(OrgConfig(), monthly_limit=1_000_000)
    assert chosen.plan is not None
    assert (chosen.plan.name, chosen.assumed, chosen.disagreement) == ("growth", True, None)
    assert chosen.how == (
        "Growth, assumed: Storyblok reports a monthly limit of 1,000,000 requests, what Growth includes "
        "(set plan to be sure)"
    )


@pytest.mark.parametrize("limit", [800_000, None])
def test_without_a_plan_and_no_match_only_the_api_limit_is_watched(limit):
    chosen = org_plan(OrgConfig(), monthly_limit=limit)
    assert chosen.plan is None
    assert "which no plan of the table includes: only that limit is watched and no bill is made" in chosen.how


def test_the_contract_s_figures_replace_the_table_s():
    chosen = org_plan(
        org(
            plan="growth",
            currency="EUR",
            plan_meters={
                "bytes": {"included": 500_000_000_000, "block_price": "80.50"},
                "requests": {"max": 6_000_000},
            },
        ),
        monthly_limit=1_000_000,
    )
    plan = chosen.plan
    assert plan is not None
    assert (plan.currency, plan.base_price, plan.billing) == ("EUR", Decimal(99), "monthly")
    assert (plan.requests.included, plan.requests.max) == (1_000_000, 6_000_000)
    assert plan.bytes is not None
    assert (plan.bytes.included, plan.bytes.max, plan.bytes.block_price) == (
        500_000_000_000,
        1_000_000_000_000,
        Decimal("80.50"),
    )
    assert (chosen.assumed, chosen.how, chosen.disagreement) == (False, "Growth (configured)", None)


def test_yearly_billing_defaults_to_twelve_months_of_the_table_s_price():
    assert org_plan(org(plan="growth_plus", billing="yearly"), 4_000_000).plan.base_price == Decimal(12 * 349)  # type: ignore[union-attr]
    assert org_plan(org(plan="growth", billing="yearly", base_price=990), 1_000_000).plan.base_price == Decimal(990)  # type: ignore[union-attr]


def test_a_configured_plan_that_disagrees_with_storyblok_s_limit_says_what_to_check():
    chosen = org_plan(org(plan="growth"), monthly_limit=10_000_000)
    assert chosen.disagreement == (
        "Storyblok reports a monthly limit of 10,000,000 requests, but the configured plan (Growth) includes "
        "1,000,000: check plan and plan_meters.requests.included against the contract"
    )


def test_a_custom_plan_comes_from_the_configuration_alone():
    requests = {"included": 20_000_000, "block_size": 1_000_000, "block_price": 8}
    plan = org_plan(org(plan="custom", base_price=2000, plan_meters={"requests": requests}), 20_000_000).plan
    assert plan is not None
    assert (plan.name, plan.base_price, plan.requests.included, plan.requests.max) == (
        "custom",
        Decimal(2000),
        20_000_000,
        None,
    )
    assert plan.bytes is None  # no bandwidth figures: no bill of the bandwidth


def test_a_custom_plan_without_the_contract_s_figures_is_refused_naming_them():
    with pytest.raises(ConfigError, match=r"plan custom needs plan_meters\.requests\.block_size, plan_meters"):
        org(plan="custom", base_price=10, plan_meters={"requests": {"included": 5}})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"plan": "business"}, "plan 'business' is not one of starter, growth, growth_plus, custom"),
        ({"currency": "dollars"}, "currency 'dollars' must be a three-letter ISO 4217 code"),
        ({"base_price": -5}, "base_price must be an amount from 0 to 1000000000, got -5"),
        ({"base_price": "NaN"}, "base_price must be an amount from 0 to 1000000000, got NaN"),
        ({"plan_meters": {"bytes": {"included": 0}}}, "plan_meters.bytes.included must be a whole number from 1"),
        ({"plan_meters": {"bytes": {"size": 1}}}, "plan_meters.bytes: unknown setting size; known: block_price"),
        ({"billing": "weekly"}, "billing 'weekly' is not one of monthly, yearly"),
    ],
)
def test_bad_plan_settings_are_named(settings, message):
    with pytest.raises(ConfigError) as raised:
        org(**settings)
    assert message in str(raised.value)
