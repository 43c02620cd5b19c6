"""What any channel received renders again, byte for byte, from the warehouse (issue 37): notices of every
kind, with the figures stored when they became due, delivered to a Slack webhook, a JSON webhook and an
email server; then the rows and figures move on (what is due the next day), and the messages rendered
from the deliveries alone still equal what each receiver got."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.notifications.delivery import deliver_pending
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules import bill_lines, told
from storyblok_traffic.rules.plans import Bill, MeterBill
from storyblok_traffic.warehouse import alerts
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import History
from tests.integration.pipeline import EMAIL, JSON, SLACK, received, rendered_again_as_received
from tests.unit.rules.test_message_batch import FORECAST, MONTH, NO_DATA, ORG_SPIKE, SILENT, SPACE_SPIKE, YEAR80, YEAR90

ORG = OrgConfig(conn_id="sb", org="acme")
DASHBOARD = "https://airflow.example.com"
GB = 1_000_000_000
NOVEMBER = Bill(
    "growth",
    "USD",
    Decimal("99.00"),
    (
        MeterBill("requests", 900_000, 1_000_000, 5_000_000, 0, Decimal(0)),
        MeterBill("bytes", 420 * GB, 400 * GB, None, 1, Decimal(75)),
    ),
)
FIGURES = told.Figures(
    limit_meter="requests",
    live_since=date(2026, 11, 22),
    top_spaces=(("12345", 6_000), ("777", 2_000)),
    unknown_before=2,
    bill={"plan": "growth", "currency": "USD", "total": "174.00"},
    closed=told.Closed(
        date(2026, 10, 1),
        date(2026, 10, 31),
        (told.MeterClosed("requests", 900_000, 1_000_000), told.MeterClosed("bytes", 420 * GB, 400 * GB)),
        NOVEMBER,
    ),
)


def every_kind() -> list[st.Alert]:
    """One notice of each kind (a threshold's alarm and clear), each with figures as a check stores them."""
    overage = bill_lines.overage_detail(NOVEMBER, NOVEMBER, Decimal(0)).to_json()
    others = [
        replace(YEAR80, kind=st.DISAGREE, threshold_pct=0.0, detail="Set `limit_meter: bytes`."),
        replace(MONTH, kind=st.OVERAGE, threshold_pct=0.0, meter="", detail=overage),
        replace(MONTH, kind=st.MAXIMUM, threshold_pct=90.0, meter="bytes", usage=950 * GB, usage_limit=1_000 * GB),
        replace(MONTH, kind=st.PLAN, period=st.PLAN_PERIOD, threshold_pct=0.0, meter="", detail="Set `plan: growth`."),
        replace(MONTH, kind=st.CHEAPER, threshold_pct=0.0, meter="", detail="Entry would have cost less."),
        replace(MONTH, period_start=date(2026, 10, 1), notice=st.CLEAR, notice_seq=2),
    ]
    batch = [NO_DATA, FORECAST, MONTH, SILENT, YEAR80, YEAR90, SPACE_SPIKE, ORG_SPIKE, *others]
    return [replace(a, status=st.PENDING, figures=told.stored(FIGURES)) for a in batch]


def test_every_kind_on_every_channel_renders_again_from_the_warehouse(
    engine, schema, warehouse_conn, receiver, json_receiver, smtp
):
    History(engine, schema)  # the warehouse's tables
    config = MonitorConfig(
        warehouse_schema=schema, channels=(SLACK, JSON, EMAIL), organisations=(ORG,), dashboard_url=DASHBOARD
    )
    notices = every_kind()
    with begin(engine, schema) as conn:
        alerts.save(conn, notices[:8], date(2026, 11, 26), before={})
        deliver_pending(conn, ORG, config.channels, config.routing(ORG), DASHBOARD)  # one message per channel
        alerts.save(conn, notices[8:], date(2026, 11, 27), before={})
        deliver_pending(conn, ORG, config.channels, config.routing(ORG), DASHBOARD)  # a second
        # The rows move on (a check of the next day): what was sent must not.
        moved = [
            replace(a, usage=a.usage + 1, figures=None, status=st.PENDING, notice_seq=a.notice_seq + 1) for a in notices
        ]
        alerts.save(conn, moved, date(2026, 11, 28), before={})
    got = received(receiver, json_receiver, smtp)
    assert [len(got[c]) for c in ("slack", "json", "email")] == [2, 2, 2]
    assert (
        "The month 2026-10-01 to 2026-10-31 closed at 900,000 of 1,000,000 requests (90.0%)" in got["slack"][0]["text"]
    )

    # The batch names one space (its space's spike): the view opens with that space marked.
    link = f"{DASHBOARD}/plugin/storyblok-usage?org=acme&as_of=2026-11-26&space=12345"
    assert got["slack"][0]["text"].endswith(f"\nDashboard: {link}")  # every message links to its view
    assert got["slack"][0]["blocks"][-1]["elements"][0]["url"] == link  # Slack: a button too
    assert got["json"][0]["url"] == link
    assert rendered_again_as_received(engine, schema, ORG.org, ORG.limit_meter, DASHBOARD) == got
    kinds = {a["kind"] for m in got["json"] for a in m["alerts"]}
    assert kinds == set(st.TOLD_WHEN_LIVE) | {st.SILENT, st.SPIKE, st.ACTUAL}
