"""The bill's notices, word for word (pure): the overage's subject, line and fields, the hard maximum's,
and the money sentence every crossing ends with."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from msgspec.structs import replace as struct_replace

from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules import bill_lines as b
from storyblok_traffic.rules.plans import Bill, MeterBill
from tests.unit.rules.test_messages import DAY, alert

GB = 1_000_000_000
REQUESTS = MeterBill("requests", 1_200_000, 1_000_000, 5_000_000, 1, Decimal("10.00"))
BYTES = MeterBill("bytes", 430 * GB, 400 * GB, 2_000 * GB, 2, Decimal("150.00"))
NOW = Bill("growth", "USD", Decimal("99.00"), (REQUESTS, struct_replace(BYTES, blocks=0, overage=Decimal(0))))
AT_END = Bill("growth", "USD", Decimal("99.00"), (REQUESTS, BYTES))


def overage(now: Bill, at_end: Bill | None) -> st.Alert:
    detail = b.overage_detail(now, at_end, Decimal("0.00")).to_json()
    return alert(kind=st.OVERAGE, threshold_pct=0.0, meter="", detail=detail, period_end=date(2026, 11, 30))


def test_an_overage_projected_beyond_what_is_paid_says_so_with_both_meters():
    a = overage(NOW, AT_END)
    assert b.overage_subject("acme", a) == "Storyblok traffic: acme's overage is projected at USD 160.00 this month"
    assert b.overage_line(a) == (
        "Overage: USD 10.00 so far in the month 2026-11-01 to 2026-11-30 (API requests 1 block), projected "
        "USD 160.00 by its end (API requests 1 block; bandwidth 2 blocks); the bill is projected at USD 259.00 "
        "(base USD 99.00). Told once a month, above USD 0.00 (overage_alert)."
    )
    assert b.overage_fields(a) == {
        "currency": "USD",
        "base": "99.00",
        "overage": "10.00",
        "projected_overage": "160.00",
        "projected_total": "259.00",
        "overage_alert": "0.00",
        "meters": (  # a tuple, as kept; the webhook's JSON makes it a list
            {
                "meter": "requests",
                "blocks": 1,
                "overage": "10.00",
                "projected_blocks": 1,
                "projected_overage": "10.00",
            },
            {"meter": "bytes", "blocks": 0, "overage": "0", "projected_blocks": 2, "projected_overage": "150.00"},
        ),
    }


def test_an_overage_without_a_projection_is_what_was_paid():
    a = overage(AT_END, None)
    assert b.overage_subject("acme", a) == "Storyblok traffic: acme has paid overage of USD 160.00 this month"
    assert b.overage_line(a) == (
        "Overage: USD 160.00 so far in the month 2026-11-01 to 2026-11-30 (API requests 1 block; bandwidth 2 "
        "blocks). Told once a month, above USD 0.00 (overage_alert)."
    )
    nothing = overage(Bill("growth", "USD", Decimal("99.00"), (struct_replace(REQUESTS, blocks=0),)), None)
    assert "(none yet)" in b.overage_line(nothing)


def test_the_money_sentence_so_far_and_at_the_periods_end():
    assert b.bill_sentence(NOW, AT_END, "month") == (
        "The bill so far: USD 109.00 (base USD 99.00, overage USD 10.00: API requests 1 block); projected at "
        "the month's end: USD 259.00."
    )
    over = Bill("starter", "USD", Decimal(0), (struct_replace(REQUESTS, used=200_000, maximum=100_000),))
    assert b.bill_sentence(over, over, "year").endswith(
        "; projected at the year's end: USD 10.00, with API requests over the hard maximum."
    )
    none = Bill("growth", "USD", Decimal("99.00"), (struct_replace(REQUESTS, blocks=0, overage=Decimal(0)),))
    assert b.bill_sentence(none, None, "month") == "The bill so far: USD 99.00 (base USD 99.00, no overage)."


def test_a_meter_at_its_hard_maximum_is_urgent_and_says_when():
    near = alert(
        kind=st.MAXIMUM,
        threshold_pct=90.0,
        meter="bytes",
        usage=1_900 * GB,
        usage_limit=2_000 * GB,
        projected_on=date(2026, 11, 28),
    )
    assert (
        b.maximum_subject("acme", near)
        == "URGENT Storyblok traffic: acme has used 95.0% of its monthly bandwidth maximum"
    )
    assert b.maximum_line(near) == (
        f"Hard maximum of bandwidth: 1,900.0 GB of 2,000 GB (95.0%) as of {DAY} in the month 2026-11-01 to "
        "2026-11-30; it is projected to be reached on 2026-11-28. Beyond the maximum Storyblok refuses the API: "
        "raise the plan or cut the traffic now."
    )
    reached = replace(near, usage=2_000 * GB, detail="A note.")
    assert "; it was reached on 2026-11-28." in b.maximum_line(reached)
    assert b.maximum_line(reached).endswith("cut the traffic now. A note.")
    assert "; it " not in b.maximum_line(replace(near, projected_on=None))


def test_a_maximum_equal_to_the_included_amount_is_explained():
    assert b.maximum_note(100_000, 100_000, "requests") == (
        "On this plan the maximum is the included amount (100,000 requests): usage beyond it is refused, or "
        "charged only if you opted in to overage."
    )
    assert b.maximum_note(1_000_000, 5_000_000, "requests") is None


def test_a_message_with_an_overage_notice_says_the_projected_bill_once():
    from storyblok_traffic.rules.messages import alert_message

    bill = "The bill so far: USD 109.00 (base USD 99.00, overage USD 10.00); projected at the month's end: USD 259.00."
    crossing = alert(threshold_pct=100.0, detail=bill)
    text = alert_message("acme", "requests", [crossing, overage(NOW, AT_END)], {}).text
    assert text.count("USD 259.00") == 1  # in the overage's line
    assert bill in alert_message("acme", "requests", [crossing], {}).text  # without one, the bill's line says it
