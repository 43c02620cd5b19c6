"""A notice's stored figures (pure): kept as JSON and read back the same, the batch's newest notice speaks for
the message, each period's top spaces from its newest notice, and a closed period's line word for word."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from storyblok_traffic.rules import told
from storyblok_traffic.rules.messages import notice_message
from storyblok_traffic.rules.plans import Bill, MeterBill
from tests.unit.rules.test_messages import alert

GB = 1_000_000_000
NOVEMBER = told.Closed(
    date(2026, 11, 1),
    date(2026, 11, 30),
    (told.MeterClosed("requests", 975_000, 1_000_000), told.MeterClosed("bytes", 420 * GB, 400 * GB)),
    Bill(
        "growth",
        "USD",
        Decimal("99"),
        (
            MeterBill("requests", 975_000, 1_000_000, 5_000_000, 0, Decimal(0)),
            MeterBill("bytes", 420 * GB, 400 * GB, 1_000 * GB, 1, Decimal(75)),
        ),
    ),
)
FIGURES = told.Figures(
    limit_meter="requests",
    live_since=date(2026, 11, 5),
    top_spaces=(("100000", 400_000), ("100007", 200_000)),
    unknown_before=3,
    closed=NOVEMBER,
)


def test_figures_kept_as_json_read_back_the_same():
    kept = json.loads(json.dumps(told.stored(FIGURES)))  # as the warehouse's JSON column returns them
    assert told.of(alert(figures=kept)) == FIGURES
    assert told.of(alert()) == told.NONE  # recorded before figures were stored


def test_the_newest_notice_with_figures_speaks_for_the_message_and_each_period_has_its_newest_top_spaces():
    older = alert(
        as_of=date(2026, 11, 20), figures=told.stored(told.Figures(limit_meter="bytes", top_spaces=(("1", 5),)))
    )
    newer = alert(figures=told.stored(FIGURES))
    silent = alert(as_of=date(2026, 11, 30), figures=None)  # the watchdog's: none
    assert told.newest([older, newer, silent]) == FIGURES
    assert told.newest([silent]) == told.NONE
    assert told.top_spaces([newer, older]) == {(newer.meter, newer.period, newer.period_start): FIGURES.top_spaces}
    assert told.unknown_before([older, newer]) == {newer.key: 3}


def test_a_closed_period_is_told_by_its_closing_figures_and_its_bill():
    assert told.closed_line(NOVEMBER) == (
        "The month 2026-11-01 to 2026-11-30 closed at 975,000 of 1,000,000 requests (97.5%) and 420.0 GB of 400 GB "
        "(105.0%); its bill: USD 174.00 (base USD 99.00, overage USD 75.00: bandwidth 1 block)."
    )
    no_plan = told.Closed(date(2026, 1, 1), date(2026, 12, 31), (told.MeterClosed("requests", 100, 0),))
    assert told.closed_line(no_plan) == "The year 2026-01-01 to 2026-12-31 closed at 100 of 0 requests."


def test_a_message_tells_the_closed_period_only_after_it_ended_and_in_any_order_of_its_notices():
    december = {"period_start": date(2026, 12, 1), "period_end": date(2026, 12, 31), "as_of": date(2026, 12, 5)}
    notices = [
        alert(**december, figures=told.stored(FIGURES)),
        alert(**december, threshold_pct=80.0, figures=told.stored(FIGURES)),
    ]
    message = notice_message("acme", "bytes", notices)
    assert message.text.split("\n")[-2].startswith("The month 2026-11-01 to 2026-11-30 closed at 975,000")
    assert message == notice_message("acme", "bytes", list(reversed(notices)))
    assert message.data["limit_meter"] == "requests"  # the unit stored with the notices, not the caller's
    assert message.data["closed"]["bill"]["meters"][1]["overage"] == "75"
    # A notice of the closed period itself (a retry's) does not tell its own month as closed.
    during = [replace(n, as_of=date(2026, 11, 30)) for n in notices]
    assert "closed at" not in notice_message("acme", "requests", during).text


def test_a_bandwidth_notice_says_how_many_days_of_its_bandwidth_are_not_in_yet():
    bytes_alert = {"kind": "forecast", "meter": "bytes", "usage": 115 * GB, "usage_limit": 400 * GB}
    one = alert(**bytes_alert, projected_on=date(2026, 11, 29), figures=told.stored(told.Figures(bytes_not_in=1)))
    assert (
        "115.0 GB of 400 GB (28.8%; 1 day's bandwidth not in yet) as of "
        in notice_message("acme", "requests", [one]).text
    )
    two = replace(one, figures=told.stored(told.Figures(bytes_not_in=2)))
    assert "(28.8%; 2 days' bandwidth not in yet)" in notice_message("acme", "requests", [two]).text
    assert "(28.8%) as of " in notice_message("acme", "requests", [replace(one, figures=None)]).text
