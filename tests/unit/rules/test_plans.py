"""The bill of a billing period against hand-computed ones: blocks round up, the maximum, yearly billing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storyblok_traffic.billing import plan_table
from storyblok_traffic.rules.plans import (
    Plan,
    Terms,
    amount_text,
    bill,
    meter_bill,
    money,
    over_maximum_text,
    overage_blocks,
    plan_with_limit,
    what_if,
)

GB = 10**9


def growth(billing: str = "monthly", base: str = "99") -> Plan:
    return Plan(
        name="growth",
        base_price=Decimal(base),
        currency="USD",
        billing=billing,  # type: ignore[arg-type]
        requests=Terms(1_000_000, 5_000_000, 1_000_000, Decimal(10)),
        bytes=Terms(400 * GB, 1000 * GB, 250 * GB, Decimal(75)),
    )


@pytest.mark.parametrize(
    ("used", "blocks"),
    [(0, 0), (999_999, 0), (1_000_000, 0), (1_000_001, 1), (2_000_000, 1), (2_000_001, 2)],
)
def test_a_started_block_is_a_block_billed(used, blocks):
    assert overage_blocks(used, 1_000_000, 1_000_000) == blocks


def test_a_growth_month_over_on_both_meters():
    month = bill(growth(), {"requests": 1_000_001, "bytes": 650 * GB + 1})
    requests, size = month.meters
    assert (requests.blocks, requests.overage) == (1, Decimal(10))  # one request over: a whole block
    assert (size.blocks, size.overage) == (2, Decimal(150))  # 250 GB and one byte over: two blocks
    assert month.overage == Decimal(160)
    assert month.total == Decimal(259)  # 99 + 10 + 150
    assert month.over_maximum == ()


def test_exactly_the_included_amount_costs_nothing_more():
    month = bill(growth(), {"requests": 1_000_000, "bytes": 400 * GB})
    assert month.total == Decimal(99)
    assert [m.blocks for m in month.meters] == [0, 0]


def test_past_the_maximum_is_said_and_still_priced():
    month = bill(growth(), {"requests": 5_000_001, "bytes": 1000 * GB})
    assert month.over_maximum == ("requests",)  # the bandwidth at its maximum is not past it
    assert month.meters[0].blocks == 5  # 4,000,001 over: five blocks
    assert month.meters[1].blocks == 3  # 600 GB over: 2.4 blocks of 250 GB, billed as three
    assert month.total == Decimal(99 + 5 * 10 + 3 * 75)


def test_yearly_billing_counts_twelve_months_of_each_meter():
    year = bill(growth("yearly", base="1000"), {"requests": 12_500_000, "bytes": 4_800 * GB})
    requests, size = year.meters
    assert (requests.included, requests.maximum) == (12_000_000, 60_000_000)
    assert (requests.blocks, size.blocks) == (1, 0)  # 500,000 over the year's 12,000,000: one block
    assert year.total == Decimal(1010)


def test_a_meter_without_usage_or_terms_is_left_out():
    plan = growth()
    no_bandwidth = Plan(plan.name, plan.base_price, plan.currency, plan.billing, plan.requests, None)
    assert [m.meter for m in bill(no_bandwidth, {"requests": 1, "bytes": 10**15}).meters] == ["requests"]
    assert [m.meter for m in bill(plan, {"bytes": 1}).meters] == ["bytes"]


def test_what_if_bills_the_same_usage_on_every_plan_of_the_table():
    bills = what_if(plan_table().plans, {"requests": 4_500_000, "bytes": 900 * GB})
    # Hand-computed from plans.toml: Starter 0 + 5 x 10 + 4 x 75 (past both maxima); Growth 99 + 4 x 10
    # + 2 x 75; Growth Plus 349 + 1 x 10.
    assert [(b.plan, b.total, b.over_maximum) for b in bills] == [
        ("starter", Decimal(350), ("requests", "bytes")),
        ("growth", Decimal(289), ()),
        ("growth_plus", Decimal(359), ()),
    ]


def test_a_plan_past_its_hard_cap_is_said_to_be_impossible_in_words():
    """Issue 37: "Starter USD 235.00 over the maximum" read as a price; the words say the plan cannot carry
    the month, which cap, by how much, and what a cap does."""
    starter, growth_row, _ = what_if(plan_table().plans, {"requests": 4_500_000, "bytes": 900 * GB})
    assert over_maximum_text(starter) == (
        "not possible on this plan: its hard cap of 100,000 API requests would be exceeded by 4,400,000 "
        "requests, and its hard cap of 100 GB of bandwidth by 800.0 GB; past a hard cap Storyblok's API "
        "refuses requests"
    )
    assert over_maximum_text(growth_row) is None
    one = bill(growth(), {"requests": 5_250_000, "bytes": 1000 * GB})  # the bandwidth at its cap is not past it
    assert over_maximum_text(one) == (
        "not possible on this plan: its hard cap of 5,000,000 API requests would be exceeded by 250,000 "
        "requests; past a hard cap Storyblok's API refuses requests"
    )
    half = bill(growth(), {"requests": 1, "bytes": 1000 * GB + 500_000_000})
    assert over_maximum_text(half) == (
        "not possible on this plan: its hard cap of 1,000 GB of bandwidth would be exceeded by 0.5 GB; past a "
        "hard cap Storyblok's API refuses requests"
    )
    small = growth()
    small = Plan(
        small.name, small.base_price, "USD", "monthly", small.requests, Terms(GB, 2_500_000_000, GB, Decimal(1))
    )
    assert over_maximum_text(bill(small, {"bytes": 3 * GB})) == (  # a cap not a whole GB keeps its decimal
        "not possible on this plan: its hard cap of 2.5 GB of bandwidth would be exceeded by 0.5 GB; past a "
        "hard cap Storyblok's API refuses requests"
    )


def test_the_plan_is_the_one_whose_included_requests_are_the_limit():
    plans = plan_table().plans
    assert [plan_with_limit(plans, n) for n in (100_000, 1_000_000, 4_000_000)] == list(plans)
    assert plan_with_limit(plans, 800_000) is None


def test_amounts_and_money_are_worded_with_their_units():
    assert amount_text("bytes", 412_345_678_901) == "412.3 GB"
    assert amount_text("requests", 1_234_567) == "1,234,567 requests"
    assert money(Decimal("1234.5"), "EUR") == "EUR 1,234.50"
    assert meter_bill("requests", 3, Terms(1, None, 1, Decimal("0.5"))).overage == Decimal(1)
