"""The weekly digest (issue 40): an organisation's week told once to each channel, its figures those of
``/api/usage`` for the week's last day, the email's chart an inline PNG; weeks whose days are not all in
say so. Through the simulator, the daily jobs, a local SMTP server and webhook, and the dashboard's API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import yaml
from sqlalchemy import delete, update

from include.storyblok_simulator import SimulatorSettings
from storyblok_traffic.config import DigestConfig, MonitorConfig, OrgConfig
from storyblok_traffic.errors import NotificationError
from storyblok_traffic.jobs import backfill
from storyblok_traffic.jobs.asset_days import load_days
from storyblok_traffic.jobs.digest import preview, send_digest
from storyblok_traffic.notifications.digest_message import CHART_NAME
from storyblok_traffic.rules.weeks import last_complete_week
from storyblok_traffic.warehouse import digests
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import digest_deliveries, org_traffic_daily
from storyblok_traffic.xcom import Range
from tests.integration.conftest import Shared, shared
from tests.integration.pipeline import EMAIL, SLACK, daily_runs
from tests.integration.test_fetching import client as sim_client

TODAY = datetime.now(UTC).date()
WEEK = last_complete_week(TODAY)
DASHBOARD = "https://airflow.example.com"


@pytest.fixture(scope="module")
def world(engine, warehouse_url) -> Iterator[Shared]:
    with shared(engine, warehouse_url, SimulatorSettings(today=TODAY, monthly_limit=100_000, spaces=8)) as found:
        yield found


@pytest.fixture(scope="module")
def loaded(world: Shared, engine) -> None:
    """Two months quietly (the backfill), then the last nine days as the daily DAG runs them (told), and
    the files of the week and the week before."""
    config = MonitorConfig(warehouse_schema=world.schema, dashboard_url=DASHBOARD, channels=(SLACK,))
    [org] = config.organisations
    history = Range(TODAY - timedelta(days=70), TODAY - timedelta(days=10))
    backfill.load_range(history, org, config)
    backfill.evaluate_range(history, org, config)
    daily_runs(org, config, TODAY - timedelta(days=9), TODAY - timedelta(days=1))
    days = [WEEK.before.first + timedelta(days=n) for n in range(14)]
    load_days(sim_client(world.simulator), lambda: begin(engine, world.schema), org.org, days)
    world.receiver.messages.clear()


@pytest.fixture
def monitor(loaded, world: Shared, smtp, engine) -> Iterator[MonitorConfig]:
    """The digest to the Slack webhook and the email channel; the week's ledger emptied after the test."""
    world.receiver.messages.clear()
    yield MonitorConfig(
        warehouse_schema=world.schema,
        dashboard_url=DASHBOARD,
        channels=(SLACK, EMAIL),
        organisations=(OrgConfig(digest=DigestConfig(channels=("slack", "email"))),),
    )
    with begin(engine, world.schema) as conn:
        conn.execute(delete(digest_deliveries))


def test_the_week_goes_once_to_each_channel_as_text_and_as_an_email_with_its_chart(monitor, world, smtp, engine):
    from PIL import Image

    [org] = monitor.organisations
    assert send_digest(org, monitor, WEEK, TODAY) == {"sent": ["slack", "email"], "had": []}
    [slack] = world.receiver.messages
    [mail] = smtp.emails
    subject = f"Storyblok weekly digest for storyblok_default: {WEEK.label}, {WEEK.span()}"
    assert slack["text"].splitlines()[0] == mail.subject
    assert mail.subject.startswith(subject)  # "(incomplete)" after it: the simulator's Sunday bytes come late
    link = f"{DASHBOARD}/plugin/storyblok-usage?org=storyblok_default&as_of={WEEK.last}"
    assert slack["text"].endswith(f"\nDashboard: {link}")
    assert slack["blocks"][-1]["elements"][0]["url"] == link  # Slack's button
    # The email: its HTML and the chart it shows, one related message; the PNG as the worker drew it.
    message = message_from_bytes(mail.raw, policy=policy.default)
    assert message.get_content_type() == "multipart/related"
    assert f'src="cid:{CHART_NAME}"' in mail.body
    png = mail.inline[CHART_NAME]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < 200_000
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1280, 1000)  # 640 x 250 per meter's month, drawn at twice the size shown
    # Every line of the text is in the email too (one list of sections).
    import html

    for line in slack["text"].splitlines()[1:-1]:
        assert html.escape(line.strip()) in mail.body, line
    # The ledger holds what each channel was told; a second run sends nothing.
    with begin(engine, world.schema) as conn:
        kept = {d.channel: d.text for d in digests.delivered(conn, org.org, WEEK.first)}
    assert kept == {"slack": slack["text"], "email": slack["text"]}
    assert send_digest(org, monitor, WEEK, TODAY) == {"sent": [], "had": ["slack", "email"]}
    assert len(world.receiver.messages) == 1
    assert len(smtp.emails) == 1


def test_the_digest_tells_the_figures_of_the_dashboard_for_the_weeks_last_day(
    monitor, world, engine, airflow_db, tmp_path
):
    from airflow.api_fastapi.app import create_auth_manager
    from fastapi.testclient import TestClient

    from storyblok_traffic.ui.app import app
    from tests.integration.ui.test_api import token

    [org] = monitor.organisations
    path = tmp_path / "monitor.yaml"  # the monitor's settings, as the API server reads them
    path.write_text(
        f"warehouse_schema: {world.schema}\ndashboard_url: {DASHBOARD}\nchannels:\n"
        "  - {name: slack, type: slack, conn_id: storyblok_alerts_webhook}\n"
        "  - {name: email, type: email, conn_id: smtp_alerts, to: [ops@example.com]}\n"
        "organisations:\n  - {digest: {channels: [slack, email]}}\n"
    )
    assert MonitorConfig.from_dict(yaml.safe_load(path.read_text())) == monitor
    with pytest.MonkeyPatch.context() as mp, begin(engine, world.schema) as conn:
        mp.setenv("STORYBLOK_TRAFFIC_CONFIG", str(path))
        create_auth_manager()
        served = TestClient(app).get(
            "/api/usage", params={"org": org.org, "as_of": str(WEEK.last)}, headers=token("admin")
        )
        files = TestClient(app).get(
            "/api/assets",
            params={"org": org.org, "from": str(WEEK.first), "to": str(WEEK.last), "limit": 5},
            headers=token("admin"),
        )
        through = date.fromisoformat(files.json()["files_through"])
        before = TestClient(app).get(  # the same weekdays of the week before, for each file's change
            "/api/assets",
            params={
                "org": org.org,
                "from": str(WEEK.before.first),
                "to": str(through - timedelta(days=7)),
                "limit": 100,
            },
            headers=token("admin"),
        )
        from storyblok_traffic.evaluation.digest import week_digest

        digest = week_digest(conn, org, monitor, WEEK, TODAY)
    assert served.status_code == files.status_code == before.status_code == 200
    assert digest is not None
    usage: dict[str, Any] = served.json()
    assert digest.usage.model_dump(mode="json") == usage
    assert digest.files is not None
    served_files, told_files = files.json(), digest.files.model_dump(mode="json")
    changes = [a.pop("change_pct") for a in told_files["assets"]]
    for a in served_files["assets"]:
        a.pop("change_pct")  # theirs: against the days just before the range, not the same weekdays
    assert told_files == served_files  # the files, their bytes and shares: /api/assets's
    earlier = {a["asset_id"]: a["bytes"] for a in before.json()["assets"]}
    assert changes == [
        round((a["bytes"] - earlier[a["asset_id"]]) * 100 / earlier[a["asset_id"]], 1) for a in served_files["assets"]
    ]
    said = preview_text(monitor, engine, world.schema)
    for period in usage["periods"]:
        if period["limit"]:
            assert f"{period['percent']:.1f}%" in said
        if period["limit"] and period["usage"] >= period["limit"]:  # the day it was reached: its alert row's
            key = ("actual", 100, period["meter"], period["period"], period["start"])
            [row] = [
                a
                for a in usage["alerts"]
                if (a["kind"], a["threshold"], a["meter"], a["period"], a["period_start"]) == key
            ]
            assert f"the limit reached on {date.fromisoformat(row['crossed_on']):%-d %b %Y}" in said
    bill = usage["bill"]
    assert f"projected {bill['currency']} {float(bill['projected_total']):,.2f}" in said
    week = {row["day"]: row for row in usage["daily"] if WEEK.first.isoformat() <= row["day"] <= str(WEEK.last)}
    assert f"  API requests: {sum(r['requests'] for r in week.values()):,}, " in said
    for row in usage["alerts"]:
        if row["group"] == "open":
            assert row["line"] in said  # every notice still open is listed
    # The week before's digest, previewed now, tells nothing told since: a notice told in this week
    # (the catch-up of crossings from months ago) is no news of the week before.
    week_before = preview_text(monitor, engine, world.schema, WEEK.before)
    told_since = [row["line"] for row in usage["alerts"] if row["as_of"] >= str(WEEK.first)]
    assert told_since
    assert [line for line in told_since if line in week_before] == []


def preview_text(config: MonitorConfig, engine, schema: str, week=WEEK, today: date = TODAY) -> str:
    [org] = config.organisations
    with begin(engine, schema) as conn:
        return preview(conn, org, config, week, today, as_html=False)


def test_a_week_whose_days_are_not_all_in_says_so(monitor, engine, world):
    from storyblok_traffic.rules.weeks import week_of

    week = week_of(TODAY)  # today's: in progress, today and the days after it not stored
    lines = preview_text(monitor, engine, world.schema, week).splitlines()
    assert lines[0].endswith("(in progress)")
    missing = [f"{d:%a %-d %b}" for d in week.days() if d >= TODAY]
    are = "is" if len(missing) == 1 else "are"
    said = "none of its days is stored yet" if len(missing) == 7 else f"{', '.join(missing)} {are} not stored yet"
    newest = TODAY - timedelta(days=1)
    assert lines[1].startswith(
        f"Incomplete week: the week is in progress (its figures are as of {newest:%-d %b %Y}); {said}"
    ), lines[1]
    # A week with every day and its bandwidth in says nothing of the kind; without a day's bytes, it does.
    complete = preview_text(monitor, engine, world.schema, WEEK.before).splitlines()
    assert not complete[0].endswith("(incomplete)")
    assert complete[1] == "This week"
    lines = without_bytes_of(WEEK.before.last, monitor, engine, world.schema)
    assert lines[0].endswith("(incomplete)")
    assert lines[1] == (
        f"Incomplete week: Storyblok has not counted the bandwidth of {WEEK.before.last:%a %-d %b} yet. "
        "This week's figures leave it out."
    )
    assert lines[4].startswith("  Bandwidth: ")
    assert "(6 days of 7 counted), " in lines[4]
    assert lines[4].endswith(" on the same 6 days of the week before")


class Undone(Exception):
    """Leaves a transaction without its changes."""


def without_bytes_of(day: date, config: MonitorConfig, engine, schema: str) -> list[str]:
    """The preview of the week before ``WEEK`` with ``day``'s bandwidth not counted (in a transaction
    rolled back: the day's bytes stay for the other tests)."""
    [org] = config.organisations
    t = org_traffic_daily.c
    try:
        with begin(engine, schema) as conn:
            conn.execute(update(org_traffic_daily).where(t.org == org.org, t.day == day).values(total_bytes=None))
            lines = preview(conn, org, config, WEEK.before, TODAY, as_html=False).splitlines()
            raise Undone
    except Undone:
        return lines


def test_a_refusing_channel_stops_no_other_and_its_retry_serves_it_alone(monitor, world, smtp):
    [org] = monitor.organisations
    smtp.fail_next = 1
    with pytest.raises(NotificationError, match=r"not delivered to 1 channel\(s\): email"):
        send_digest(org, monitor, WEEK, TODAY)
    assert len(world.receiver.messages) == 1
    assert smtp.emails == []
    assert send_digest(org, monitor, WEEK, TODAY) == {"sent": ["email"], "had": ["slack"]}
    assert len(world.receiver.messages) == 1
    assert len(smtp.emails) == 1
