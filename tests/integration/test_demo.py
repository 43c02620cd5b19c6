"""``make run``'s week (``include/demo.py``), whatever day it starts (the clock moved there with
``time_machine``): the history loaded quietly, the dashboard's silence made, then each of the daily
DAG's days fetched, checked and notified in date order, through the demo's routes.

The pager gets the closed month's bandwidth limit (a trigger) on its last day and its resolve once the
month is over; the email gets the runaway space's spike and its end; the silenced space's spike goes
nowhere and is recorded as held by the silence; Slack gets the crossings and no spike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
import yaml
from sqlalchemy import select

from include import demo
from include.demo import DemoCalendar
from include.storyblok_simulator import SimulatorSettings, space_id
from storyblok_traffic.config import MonitorConfig
from storyblok_traffic.jobs import backfill
from storyblok_traffic.jobs.daily import check_usage, notify_due, upsert_traffic
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
from storyblok_traffic.operators.pipeline import NOTIFY_TASK, branch_for
from storyblok_traffic.rules.periods import each_day, window_of
from storyblok_traffic.rules.silences import DASHBOARD, Silence, matcher
from storyblok_traffic.warehouse import silences
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import usage_alerts
from storyblok_traffic.xcom import Range

# Today's month start is the 2nd; a start whose fifth day back is the 29th of a 31-day month (the
# contract day moves to the 28th) across a year's end; one across February's end.
STARTS = [date(2026, 12, 7), date(2027, 1, 3), date(2027, 3, 2)]


@pytest.fixture(params=STARTS, ids=str)
def calendar(request: pytest.FixtureRequest) -> DemoCalendar:
    return DemoCalendar(request.param)


@pytest.fixture
def sim_settings(calendar: DemoCalendar) -> SimulatorSettings:
    return demo.simulation(calendar, calendar.started)


@pytest.fixture(autouse=True)
def own_throttle(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The rate limit's state in this test's folder: it keeps the next request's time by the moved clock
    (months ahead), which would hold up a later test's requests to a simulator on the same port."""
    monkeypatch.setenv("STORYBLOK_THROTTLE_DIR", str(tmp_path))


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    env: dict[str, str] = {}
    with demo.receivers(env) as servers:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield servers


def at(calendar: DemoCalendar) -> Any:
    """The morning the demo starts."""
    return time_machine.travel(datetime.combine(calendar.started, time(8, 0), UTC), tick=True)


def test_the_demo_pages_and_resolves_mails_the_spike_and_holds_the_silenced_one(
    calendar, simulator, storyblok_conn, warehouse_conn, channels, engine, schema
):
    settings = yaml.safe_load(demo.settings("http://localhost:8080", calendar))
    settings["organisations"][0]["asset_traffic"] = False  # the files' year: a request per day (test_asset_days)
    config = MonitorConfig.from_dict({**settings, "warehouse_schema": schema})
    [org] = config.organisations
    first = calendar.closing_day
    with at(calendar):
        events_by_day = _run_the_week(calendar, config, engine, schema, channels["pager"])
    pager = channels["pager"]
    # The closed month's limits reached (its bandwidth; from 2027 its requests too, as traffic grows)
    # trigger on its last day and resolve the next day, each with its own key.
    closed = (calendar.month_start.replace(day=1) - timedelta(days=1)).replace(day=calendar.month_start.day)
    paged = {e["dedup_key"]: e["event_action"] for e in pager.of("pagerduty")}
    assert f"storyblok-traffic/storyblok_default/month/{closed}/bytes/actual/100" in paged
    assert all(key.startswith(f"storyblok-traffic/storyblok_default/month/{closed}/") for key in paged)
    assert events_by_day[first] == ["trigger"] * len(paged)
    assert events_by_day[calendar.month_start] == ["resolve"] * len(paged)
    assert sum(map(len, events_by_day.values())) == 2 * len(paged)
    # The runaway space's spike (told on its first weekday: a weekend's excess is too small to move
    # the bill) and its end, by email; nothing else there.
    runaway = space_id(demo.RUNAWAY)
    spiked = [first - timedelta(days=1), first, calendar.month_start]
    mails = channels["email"].subjects()
    assert len(mails) == 2, mails
    assert any(
        mails[0] == f"Storyblok traffic: traffic spike in space {runaway} of storyblok_default on {d}" for d in spiked
    )
    assert mails[1] == f"Storyblok traffic: space {runaway} of storyblok_default is back to normal"
    slack = [text.splitlines()[0] for text in channels["slack"].texts()]
    assert slack
    assert not [title for title in slack if "spike" in title or "normal" in title]
    with begin(engine, schema) as conn:
        [silenced] = conn.execute(
            select(usage_alerts.c.status, usage_alerts.c.silence_id).where(
                usage_alerts.c.kind == "spike", usage_alerts.c.period == f"space {calendar.held_space}"
            )
        ).all()
        [made] = silences.load(conn, org.org)
    assert silenced == ("silenced", made.id)


def _run_the_week(
    calendar: DemoCalendar, config: MonitorConfig, engine: Any, schema: str, pager: Any
) -> dict[date, list[str]]:
    """What ``make run`` does, at one moment (the clock set back between steps would look like a burst
    of requests to the rate limit): the history, the silence, the days; the pager's events of each day."""
    [org] = config.organisations
    first = calendar.closing_day
    before = first - timedelta(days=1)
    history = Range(window_of("year", before, org.year_start).start, before)  # the contract year, as make run
    backfill.load_range(history, org, config)
    backfill.evaluate_range(history, org, config)
    now = datetime.now(UTC).replace(microsecond=0)
    held = matcher({"kind": ["spike"], "space": [str(calendar.held_space)]})
    ends = now + timedelta(hours=demo.SILENCE_HOURS)
    with begin(engine, schema) as conn:
        silences.add(conn, Silence("", org.org, held, now, ends, "migration", "admin", DASHBOARD), now)
    events_by_day: dict[date, list[str]] = {}
    for day in each_day(first, calendar.last):
        fetch = StoryblokTrafficOperator(
            task_id="fetch_traffic", start_date_str=str(day), end_date_str=str(day), refetch_days=org.refetch_days
        )
        upserted = upsert_traffic(fetch.execute({}), config)
        seen = len(pager.of("pagerduty"))
        if branch_for(check_usage(day, org, config, fetched_day=upserted.fetched_day)) == NOTIFY_TASK:
            notify_due(org, config)
        events_by_day[day] = [e["event_action"] for e in pager.of("pagerduty")[seen:]]
    return events_by_day
