"""A catch-up tells the present once (issue 37): after a history load, 31 daily runs finishing in any order
give one message, as of the newest day, with each alarm still open on its real crossing day and the month
that closed meanwhile told by its closing figures, never as "so far" or as a forecast; and every message a
channel got renders again, byte for byte, from the warehouse."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.evaluation.check import check
from storyblok_traffic.jobs.daily import check_usage, notify_due
from storyblok_traffic.operators.pipeline import NOTIFY_TASK, branch_for
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import History
from tests.integration.pipeline import EMAIL, JSON, SLACK, received, rendered_again_as_received

ORG = OrgConfig(
    conn_id="sb",
    org="acme",
    plan="growth",
    yearly_thresholds=(70,),
    monthly_thresholds=(80, 100),
    forecast_thresholds=(100,),
    spike_factor=0,
)
TODAY = date(2026, 12, 6)
HISTORY_END, FIRST, PRESENT = date(2026, 11, 4), date(2026, 11, 5), date(2026, 12, 5)
DAYS = [FIRST + timedelta(days=i) for i in range((PRESENT - FIRST).days + 1)]
GB = 1_000_000_000


def amounts(day: date) -> tuple[int, int]:
    """25,000 requests and 12 GB a day; from November 16 on, 40,000 and 16 GB (November passes 80 % of its
    requests and 100 % of its bandwidth, the year 70 %); December 30,000 and 14 GB (a forecast past 400 GB)."""
    if day.month == 12:
        return 30_000, 14 * GB
    if day >= date(2026, 11, 16):
        return 40_000, 16 * GB
    return 25_000, 12 * GB


def load(engine, schema: str) -> MonitorConfig:
    history = History(engine, schema)
    history.limit("acme", date(2026, 1, 1), 1_000_000)
    first = date(2026, 1, 1)
    history.meters("acme", {first + timedelta(days=i): amounts(first + timedelta(days=i)) for i in range(339)})
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK, JSON, EMAIL), organisations=(ORG,))
    with begin(engine, schema) as conn:  # the history load: checked quietly, never told
        check(conn, ORG, first, HISTORY_END, TODAY, config.routing(ORG), backfill=True)
    return config


def daily(day: date, config: MonitorConfig) -> None:
    """One daily run's check and notify tasks."""
    if branch_for(check_usage(day, ORG, config, today=TODAY)) == NOTIFY_TASK:
        notify_due(ORG, config)


ORDERS = {
    "date order": DAYS,
    "the present first": [PRESENT, *DAYS[:-1]],
    "reversed": list(reversed(DAYS)),
    "shuffled": random.Random(4).sample(DAYS, len(DAYS)),
}


@pytest.mark.parametrize("name", list(ORDERS))
def test_a_catch_up_in_any_order_tells_the_present_once(
    name, engine, schema, warehouse_conn, receiver, json_receiver, smtp
):
    config = load(engine, schema)
    for day in ORDERS[name]:
        daily(day, config)

    [text] = receiver.texts()  # one message, whatever the order
    lines = text.split("\n")
    assert lines[0] == "Storyblok traffic: acme has used 72.7% of its yearly request limit"
    # The year's crossing on its real day (after monitoring started: not marked as before it), as of today.
    assert lines[1] == (
        "Yearly request limit: 8,725,000 of 12,000,000 requests (72.7%) as of 2026-12-05 in the year 2026-01-01 "
        "to 2026-12-31. Crossed the 70% threshold on 2026-11-26."
    )
    # The overage and the forecasts are December's, as of the newest day.
    assert lines[2].startswith("Overage: USD 0.00 so far in the month 2026-12-01 to 2026-12-31 (none yet)")
    assert [line.endswith(" as of 2026-12-05.") for line in lines[3:5]] == [True, True]
    # November closed meanwhile: its closing figures and its bill, never "so far" or a forecast of it.
    assert (
        "The month 2026-11-01 to 2026-11-30 closed at 975,000 of 1,000,000 requests (97.5%) and 420.0 GB of "
        "400 GB (105.0%); its bill: USD 174.00 (base USD 99.00, overage USD 75.00: bandwidth 1 block)."
    ) in lines
    assert "2026-11-30 (none yet)" not in text
    assert "so far in the month 2026-11-01" not in text
    assert "before the month 2026-11-01 to 2026-11-30 ends" not in text
    assert all(f"on 2026-11-{d:02}" not in text for d in (18, 23, 29))  # November's crossings are not news
    # Every channel got the same notices, and each message renders again from the warehouse alone.
    got = received(receiver, json_receiver, smtp)
    assert [m["text"] for m in got["json"]] == [text]
    assert [body for _, body in got["email"]] == [text]
    assert_rendered_again(engine, schema, got)


def test_the_same_message_from_runs_finishing_together(engine, schema, warehouse_conn, receiver, json_receiver, smtp):
    """Four runs at a time, as Airflow's catch-up runs them: still one message, the one date order gives."""
    config = load(engine, schema)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda day: daily(day, config), random.Random(7).sample(DAYS, len(DAYS))))
    [text] = receiver.texts()
    assert "Crossed the 70% threshold on 2026-11-26." in text
    assert "The month 2026-11-01 to 2026-11-30 closed at 975,000 of 1,000,000 requests" in text
    assert_rendered_again(engine, schema, received(receiver, json_receiver, smtp))


def assert_rendered_again(engine, schema: str, got: dict[str, list[Any]]) -> None:
    assert rendered_again_as_received(engine, schema, ORG.org, ORG.limit_meter) == got


def test_the_api_the_report_and_every_channel_tell_the_same_figures_for_each_notice(
    engine, schema, warehouse_conn, receiver, json_receiver, smtp
):
    """Each notice the JSON webhook got is a row of /api/usage with its id and the same figures, and
    `storyblok-traffic report` prints that row's line."""
    from storyblok_traffic.evaluation.figures import usage_figures
    from storyblok_traffic.jobs.report import usage_report

    config = load(engine, schema)
    for day in DAYS:
        daily(day, config)
    [message] = json_receiver.messages
    with begin(engine, schema) as conn:
        rows = {row.id: row for row in usage_figures(conn, ORG, PRESENT, TODAY, config.routing(ORG)).alerts}
        report = usage_report(conn, ORG.org, PRESENT)
    assert len(message["alerts"]) >= 4
    for told in message["alerts"]:
        row = rows[told["id"]]
        assert (row.usage, row.usage_limit, row.as_of, row.crossed_on, row.threshold, row.projected_on) == (
            told["usage"],
            told["limit"],
            told["day"],
            told["crossed_on"],
            told["threshold"],
            told["forecast_date"],
        )
        assert (row.group, row.channels_delivered) == ("open", ["email", "json", "slack"])
        assert row.routed_to == ["slack", "json", "email"]  # no route: the organisation's channels
        assert f"  {row.line}\n" in report
