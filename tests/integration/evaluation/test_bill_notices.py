"""The bill's notices, day by day through the daily check and a real webhook receiver: the overage past
``overage_alert`` told once a billing period, the money at the end of every crossing notice, a meter
at its hard maximum (urgent; on Starter the maximum is the included amount), the configured plan
against Storyblok's limit, and another plan cheaper two closed months running."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig
from tests.integration.pipeline import JSON, SLACK, run

GB = 10**9
JUNE = [date(2026, 6, 1) + timedelta(days=i) for i in range(20)]


def org(**settings: object) -> OrgConfig:
    base: dict[str, object] = {
        "conn_id": "sb",
        "org": "acme",
        "yearly_thresholds": [],
        "monthly_thresholds": [100],
        "forecast_thresholds": [],
        "spike_factor": 0,
    }
    return MonitorConfig.from_dict({"organisations": [base | settings]}).organisations[0]


def checks(days: list[date], monitored: OrgConfig, schema: str, channels: tuple[ChannelConfig, ...] = (SLACK,)) -> None:
    """Each day's check and its sends, live (each day checked on that day)."""
    config = MonitorConfig(warehouse_schema=schema, channels=channels, organisations=(monitored,))
    for day in days:
        run(day, monitored, config)


def test_bandwidth_overage_is_told_once_and_the_crossing_says_what_it_costs(history, schema, receiver, json_receiver):
    """Growth (400 GB included, USD 75 per started 250 GB): 25 GB a day is 750 GB by June 30, two blocks."""
    history.limit("acme", date(2026, 6, 1), 1_000_000)
    history.meters("acme", {d: (20_000, 25 * GB) for d in JUNE})  # requests: 600,000 by June 30, within
    monitored = org(plan="growth", overage_alert=100)
    checks(JUNE, monitored, schema, (SLACK, JSON))
    subjects = [m["text"].splitlines()[0] for m in receiver.messages]
    assert subjects == [
        "Storyblok traffic: acme's overage is projected at USD 150.00 this month",  # June 14: 14 days to go by
        "Storyblok traffic: acme has used 100.0% of its monthly bandwidth limit",  # June 16: 400 GB
    ]
    overage, crossing = (m["text"] for m in receiver.messages)
    assert "Overage: USD 0.00 so far in the month 2026-06-01 to 2026-06-30 (none yet), projected USD 150.00" in overage
    assert "(bandwidth 2 blocks); the bill is projected at USD 249.00 (base USD 99.00)" in overage
    assert "Told once a month, above USD 100.00 (overage_alert)." in overage
    assert crossing.endswith(
        "The bill so far: USD 99.00 (base USD 99.00, no overage); projected at the month's end: USD 249.00."
    )
    [first, second] = json_receiver.messages
    [told] = first["alerts"]
    assert (told["kind"], told["day"], told["detail"]) == ("overage", "2026-06-14", None)
    assert Decimal(told["bill"]["projected_overage"]) == 150
    assert [(m["meter"], m["projected_blocks"]) for m in told["bill"]["meters"]] == [("requests", 0), ("bytes", 2)]
    assert [a["meter"] for a in second["alerts"]] == ["bytes"]
    # Each message carries the billing period as /api/usage's "bill" shows it, as of its newest notice.
    assert (first["bill"]["plan"], first["bill"]["currency"]) == ("growth", "USD")
    assert [(m["meter"], m["used"]) for m in first["bill"]["meters"]] == [
        ("requests", 14 * 20_000),
        ("bytes", 14 * 25 * GB),
    ]
    assert Decimal(second["bill"]["projected_total"]) == 249


def test_no_overage_notice_while_the_projection_stays_under_the_amount(history, schema, receiver):
    history.limit("acme", date(2026, 6, 1), 1_000_000)
    history.meters("acme", {d: (20_000, 25 * GB) for d in JUNE})
    checks(JUNE, org(plan="growth", overage_alert=150, monthly_thresholds=[]), schema)  # 150 is not above 150
    assert receiver.messages == []


def test_on_starter_the_maximum_is_urgent_and_says_it_is_the_included_amount(history, schema, receiver):
    """Starter: 100,000 requests included and at most. 5,000 a day: 90 % on June 18, 100 % on June 20."""
    history.limit("acme", date(2026, 6, 1), 100_000)  # Starter, assumed from Storyblok's limit
    history.meters("acme", {d: (5_000, GB) for d in JUNE})
    checks(JUNE, org(overage_alert=None), schema)
    texts = [m["text"] for m in receiver.messages]
    assert [t.splitlines()[0] for t in texts] == [
        "URGENT Storyblok traffic: acme has used 90.0% of its monthly API requests maximum",
        "URGENT Storyblok traffic: acme has used 100.0% of its monthly API requests maximum",
    ]
    assert texts[0].splitlines()[1] == (
        "Hard maximum of API requests: 90,000 of 100,000 requests (90.0%) as of 2026-06-18 in the month 2026-06-01 "
        "to 2026-06-30; it is projected to be reached on 2026-06-20. Beyond the maximum Storyblok refuses the API: "
        "raise the plan or cut the traffic now. On this plan the maximum is the included amount (100,000 requests): "
        "usage beyond it is refused, or charged only if you opted in to overage."
    )
    # June 20: the maximum first, then the request limit it is on Starter (one message, most urgent first)
    assert "it was reached on 2026-06-20" in texts[1].splitlines()[1]
    assert texts[1].splitlines()[2].startswith("Monthly request limit: 100,000 of 100,000 requests (100.0%)")


def test_a_configured_plan_that_disagrees_with_storyblok_is_told_once(history, schema, receiver):
    history.limit("acme", date(2026, 6, 1), 800_000)
    history.meters("acme", {d: (1_000, GB) for d in JUNE[:3]})
    checks(JUNE[:3], org(plan="growth", monthly_thresholds=[]), schema)
    [message] = receiver.messages
    assert message["text"] == (
        "Storyblok traffic: the configured plan and Storyblok's limit disagree for acme\n"
        "Storyblok reports a monthly limit of 800,000 requests, but the configured plan (Growth) includes "
        "1,000,000: check plan and plan_meters.requests.included against the contract (as of 2026-06-01.)"
    )


def test_another_plan_cheaper_two_closed_months_running_is_told_once(history, schema, receiver):
    """Growth Plus (USD 349) for 310,000 and 300,000 requests: Growth (USD 99) would do; Starter is over its
    maximum. Told on the first check of December, when October and November are both complete."""
    autumn = [date(2026, 10, 1) + timedelta(days=i) for i in range(61)]  # October and November
    history.limit("acme", date(2026, 10, 1), 4_000_000)
    history.meters("acme", {d: (10_000, 3 * GB) for d in autumn})
    checks(
        [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)],
        org(plan="growth_plus", monthly_thresholds=[]),
        schema,
    )
    [message] = receiver.messages
    assert message["text"] == (
        "Storyblok traffic: another plan would have cost acme less, two months running\n"
        "Growth would have cost USD 99.00 in 2026-10 and USD 99.00 in 2026-11, against USD 349.00 and USD 349.00 "
        "on Growth Plus (yours): worth a look at changing plan, after checking the table's figures against "
        "Storyblok's offer (as of 2026-12-01.)"
    )


def test_no_cheaper_plan_is_claimed_while_a_closed_month_lacks_bytes(history, engine, schema, receiver):
    autumn = [date(2026, 10, 1) + timedelta(days=i) for i in range(61)]
    history.limit("acme", date(2026, 10, 1), 4_000_000)
    history.meters("acme", {d: (10_000, 3 * GB) for d in autumn})
    history.meters("acme", {date(2026, 11, 30): (10_000, None)})  # its bytes come on December 3
    checks([date(2026, 12, 1), date(2026, 12, 2)], org(plan="growth_plus", monthly_thresholds=[]), schema)
    assert receiver.messages == []


def test_no_plan_change_is_advised_on_a_plan_assumed_from_storyblok_s_limit(history, schema, receiver):
    """The price of an assumed plan is the table's estimate, not the contract's: no advice rests on it."""
    autumn = [date(2026, 10, 1) + timedelta(days=i) for i in range(61)]
    history.limit("acme", date(2026, 10, 1), 4_000_000)  # Growth Plus, assumed
    history.meters("acme", {d: (10_000, 3 * GB) for d in autumn})
    checks([date(2026, 12, 1)], org(monthly_thresholds=[]), schema)
    assert receiver.messages == []
