"""Spike alerts (issue 13): scenarios against a real Postgres, notices caught by local receivers.

Histories are written straight into the warehouse (``history``); each day is then checked as a daily
run would (``run``). The last test takes the simulator's runaway space through the real fetch.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from msgspec.structs import replace
from sqlalchemy import delete, select

from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig
from storyblok_traffic.evaluation.check import check
from storyblok_traffic.evaluation.figures import usage_figures
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.warehouse import tables
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import usage_alert_versions, usage_alerts
from tests.integration.pipeline import SLACK, run

JSON = ChannelConfig(name="json", type="webhook", conn_id="storyblok_alerts_json")
ORG = OrgConfig(
    conn_id="sb",
    org="acme",
    yearly_thresholds=(),
    monthly_thresholds=(100.0,),
    forecast_thresholds=(),
    max_gap_days=366,
    alert_lookback_days=3,
)
START = date(2026, 10, 1)  # a Thursday; 35 steady days end on 2026-11-04, a Wednesday
STEADY = 35
SPIKE_DAY = START + timedelta(days=STEADY)  # 2026-11-05, a Thursday


@pytest.fixture
def config(schema: str, receiver, json_receiver) -> MonitorConfig:
    return MonitorConfig(warehouse_schema=schema, channels=(SLACK, JSON), organisations=(ORG,))


def write(history, spaces: dict[str, dict[date, int]]) -> None:
    """Space rows and the organisation's days as their sums."""
    history.spaces("acme", {(s, d): n for s, days in spaces.items() for d, n in days.items()})
    totals: dict[date, int] = {}
    for days in spaces.values():
        for d, n in days.items():
            totals[d] = totals.get(d, 0) + n
    history.days("acme", totals)


def steady(amount: int, first: date = START, count: int = STEADY, seed: int = 1) -> dict[date, int]:
    rng = random.Random(seed)
    return {first + timedelta(days=i): int(amount * rng.uniform(0.92, 1.08)) for i in range(count)}


def check_days(config: MonitorConfig, first: date, last: date, org: OrgConfig = ORG, today: date | None = None):
    evaluation = None
    day = first
    while day <= last:
        evaluation = run(day, org, config, today=today)
        day += timedelta(days=1)
    return evaluation


def report(engine, schema, day: date) -> str:
    from storyblok_traffic.jobs.report import usage_report

    with begin(engine, schema) as conn:
        return usage_report(conn, "acme", day)


def spike_rows(engine, schema) -> list[tuple[str, date, str, str, int, int]]:
    a = usage_alerts.c
    with begin(engine, schema) as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(a.period, a.crossed_on, a.status, a.notice, a.usage, a.usage_limit)
                .where(a.kind == "spike")
                .order_by(a.crossed_on, a.period)
            )
        ]


@pytest.fixture
def steady_org(history):
    """Three spaces of different sizes, 35 steady days, a monthly limit of 1,000,000."""
    history.limit("acme", START, 1_000_000)
    spaces = {"101": steady(20_000, seed=1), "202": steady(5_000, seed=2), "303": steady(1_500, seed=3)}
    write(history, spaces)
    return spaces


def test_one_space_jumping_ten_times_is_one_notice_naming_it(steady_org, history, config, receiver, json_receiver):
    check_days(config, START, SPIKE_DAY - timedelta(days=1))
    assert receiver.texts() == []
    normal = sorted(n for d, n in steady_org["202"].items() if d.weekday() == SPIKE_DAY.weekday())
    write(history, {"101": {SPIKE_DAY: 20_000}, "202": {SPIKE_DAY: 50_000}, "303": {SPIKE_DAY: 1_500}})
    evaluation = run(SPIKE_DAY, ORG, config)
    [text] = receiver.texts()
    median = normal[len(normal) // 2]  # the five Thursdays of the 35 days, all in the 56-day window
    factor = round(50_000 / median, 1)
    burnt = round((50_000 - median) * 100 / 1_000_000, 2)  # of the monthly limit
    assert text.startswith(f"Storyblok traffic: traffic spike in space 202 of acme on {SPIKE_DAY}\n")
    assert (
        f"Space 202 used 50,000 requests on {SPIKE_DAY}, {factor:g}x its normal Thursday ({round(median):,}); "
        f"its excess burnt {burnt:g}% of the monthly limit; it is " in text
    )
    found = re.search(r"it is ([\d.]+)% of the organisation's excess\.", text)
    assert found is not None
    share = float(found.group(1))
    assert 90 <= share <= 100  # the other spaces' noise makes up the rest
    assert "At this rate the monthly limit is reached on 2026-11-" in text
    assert "space 101" not in text
    assert "space 303" not in text
    [doc] = json_receiver.messages
    [alert] = doc["alerts"]
    assert (alert["kind"], alert["spike"]["space_id"]) == ("spike", "202")
    assert (alert["spike"]["factor"], alert["spike"]["normal"]) == (factor, round(median))
    assert alert["spike"]["org_excess_share"] == share
    assert [(s.series, s.status) for s in evaluation.spikes] == [("space 202", "spike")]  # acme: 2.7x, no spike


def test_a_spike_that_continues_is_not_told_again_and_its_end_is(steady_org, history, config, receiver, engine, schema):
    check_days(config, START, SPIKE_DAY - timedelta(days=1))
    after = SPIKE_DAY + timedelta(days=2)
    write(
        history,
        {
            "101": steady(20_000, SPIKE_DAY, 3),
            "202": {SPIKE_DAY: 60_000, SPIKE_DAY + timedelta(days=1): 55_000, after: 5_000},
            "303": steady(1_500, SPIKE_DAY, 3),
        },
    )
    run(SPIKE_DAY, ORG, config)
    evaluation = run(SPIKE_DAY + timedelta(days=1), ORG, config)
    assert len(receiver.texts()) == 1
    assert [(s.series, s.since) for s in evaluation.spikes] == [("space 202", SPIKE_DAY)]
    assert f"Spikes now: space 202 since {SPIKE_DAY}" in report(engine, schema, SPIKE_DAY + timedelta(days=1))
    run(after, ORG, config)
    text = report(engine, schema, after)
    assert "Spikes now: none" in text
    with begin(engine, schema) as conn:  # the dashboard marks the spike on its daily chart
        figures = usage_figures(conn, ORG, after, after + timedelta(days=1), config.routing(ORG))
    assert [s.model_dump() for s in figures.spikes] == [{"series": "space 202", "day": str(SPIKE_DAY)}]
    assert re.search(
        rf"  space 202: spike from {SPIKE_DAY}, [\d.]+x its normal, back to normal on {after} \(cleared\)", text
    )
    texts = receiver.texts()
    assert len(texts) == 2
    assert texts[1].startswith("Storyblok traffic: space 202 of acme is back to normal\n")
    assert f"Space 202 is back to normal: 5,000 requests on {after}" in texts[1]
    assert f"(the spike began on {SPIKE_DAY} with 60,000 requests, " in texts[1]
    assert [(p, s, st, n) for p, s, st, n, _, _ in spike_rows(engine, schema)] == [
        ("space 202", SPIKE_DAY, "cleared", "clear")
    ]


def test_back_to_normal_can_be_turned_off(steady_org, history, config, receiver, engine, schema):
    quiet_end = replace(ORG, spike_back_to_normal=False)
    check_days(config, START, SPIKE_DAY - timedelta(days=1), quiet_end)
    after = SPIKE_DAY + timedelta(days=1)
    write(
        history,
        {
            "101": steady(20_000, SPIKE_DAY, 2),
            "202": {SPIKE_DAY: 60_000, after: 5_000},
            "303": steady(1_500, SPIKE_DAY, 2),
        },
    )
    run(SPIKE_DAY, quiet_end, config)
    run(after, quiet_end, config)
    assert len(receiver.texts()) == 1  # the start only
    assert [st for _, _, st, _, _, _ in spike_rows(engine, schema)] == ["cleared"]


def test_busy_mondays_are_no_false_alarm(history, config, receiver):
    history.limit("acme", START, 10_000_000)
    busy = {
        START + timedelta(days=i): 40_000 if (START + timedelta(days=i)).weekday() == 0 else 4_000
        for i in range(STEADY + 14)
    }
    write(history, {"101": busy})
    check_days(config, START, START + timedelta(days=STEADY + 13))
    assert receiver.texts() == []


def test_a_tiny_space_jumping_ten_times_below_the_floor_pages_nobody(steady_org, history, config, receiver):
    write(history, {**steady_org, "404": steady(60, seed=9)})  # the organisation's days are the sums
    check_days(config, START, SPIKE_DAY - timedelta(days=1))
    write(
        history,
        {"101": {SPIKE_DAY: 20_000}, "202": {SPIKE_DAY: 5_000}, "303": {SPIKE_DAY: 1_500}, "404": {SPIKE_DAY: 600}},
    )
    evaluation = run(SPIKE_DAY, ORG, config)
    assert receiver.texts() == []
    assert evaluation.spikes == ()


def test_a_new_heavy_space_is_reported_as_new(steady_org, history, config, receiver, json_receiver):
    check_days(config, START, SPIKE_DAY - timedelta(days=1))
    write(
        history,
        {"101": {SPIKE_DAY: 20_000}, "202": {SPIKE_DAY: 5_000}, "303": {SPIKE_DAY: 1_500}, "909": {SPIKE_DAY: 30_000}},
    )
    run(SPIKE_DAY, ORG, config)
    [text] = receiver.texts()
    assert text.startswith(f"Storyblok traffic: new space 909 of acme used 30,000 on {SPIKE_DAY}\n")
    assert f"Space 909 is new: 30,000 requests on {SPIKE_DAY}, with no traffic in the days before" in text
    assert "x its normal" not in text
    [alert] = json_receiver.messages[0]["alerts"]
    assert alert["spike"]["new"] is True
    run(SPIKE_DAY + timedelta(days=1), ORG, config)  # no row that day: nothing more to say
    assert len(receiver.texts()) == 1


def test_a_space_that_falls_silent_and_comes_back_is_new_again(history, config, receiver, engine, schema):
    """A new space is told once per arrival: its notice ends quietly the next day, so a space silent for
    longer than the window that comes back is told again (not left open, which kept it quiet for good)."""
    history.limit("acme", START, 1_000_000)
    days = STEADY + 65
    spaces = {space: steady(amount, count=days, seed=seed) for space, amount, seed in SPACES[:3]}
    back = SPIKE_DAY + timedelta(days=60)  # 58 days after its last traffic: longer than the 56-day window
    spaces["909"] = {SPIKE_DAY: 30_000, SPIKE_DAY + timedelta(days=1): 29_000, back: 31_000}
    write(history, spaces)
    check_days(config, START, back + timedelta(days=1))
    texts = receiver.texts()
    assert [t.splitlines()[0] for t in texts] == [
        f"Storyblok traffic: new space 909 of acme used 30,000 on {SPIKE_DAY}",
        f"Storyblok traffic: new space 909 of acme used 31,000 on {back}",
    ]
    # one row, its second arrival ended without a notice of its own the day after
    assert [(p, s, st, n) for p, s, st, n, *_ in spike_rows(engine, schema)] == [
        ("new space 909", back, "cleared", "clear")
    ]


def test_two_spaces_both_named_largest_first(steady_org, history, config, receiver):
    check_days(config, START, SPIKE_DAY - timedelta(days=1))
    write(history, {"101": {SPIKE_DAY: 20_000}, "202": {SPIKE_DAY: 30_000}, "303": {SPIKE_DAY: 15_000}})
    run(SPIKE_DAY, ORG, config)
    [text] = receiver.texts()
    lines = text.splitlines()
    assert lines[1].startswith(f"Space 202 used 30,000 requests on {SPIKE_DAY}")
    assert lines[2].startswith(f"Space 303 used 15,000 requests on {SPIKE_DAY}")
    assert len(lines) == 3  # the organisation's own spike is theirs: no line of its own


def test_an_organisation_spike_of_small_spaces_names_them_largest_first(history, config, receiver):
    history.limit("acme", START, 100_000)  # Starter's month: 1 % of it (1,000) is less than the excess
    write(history, {"a": steady(250, seed=4), "b": steady(200, seed=5), "c": steady(100, seed=6)})
    check_days(config, START, SPIKE_DAY - timedelta(days=1))
    # Each space stays below the floor (1,000); together they make the organisation 3.3x its normal.
    write(history, {"a": {SPIKE_DAY: 990}, "b": {SPIKE_DAY: 750}, "c": {SPIKE_DAY: 100}})
    run(SPIKE_DAY, ORG, config)
    [text] = receiver.texts()
    assert text.startswith(f"Storyblok traffic: traffic spike in acme on {SPIKE_DAY}\n")
    named = text.splitlines()[1].split("above their own normal: ")[1]
    assert named.index("space a (+") < named.index("space b (+")
    assert "space c" not in named


def test_an_old_spike_during_a_backfill_is_recorded_as_suppressed(
    steady_org, history, config, receiver, engine, schema
):
    write(
        history,
        {
            "101": steady(20_000, SPIKE_DAY, 10),
            "202": {**steady(5_000, SPIKE_DAY, 10), SPIKE_DAY: 50_000},
            "303": steady(1_500, SPIKE_DAY, 10),
        },
    )
    today = SPIKE_DAY + timedelta(days=10)
    check_days(config, START, today - timedelta(days=1), today=today)
    assert receiver.texts() == []
    assert [(p, s, st) for p, s, st, _, _, _ in spike_rows(engine, schema)] == [("space 202", SPIKE_DAY, "cleared")]
    v = usage_alert_versions.c
    with begin(engine, schema) as conn:
        journal = conn.execute(select(v.day, v.status).where(v.kind == "spike").order_by(v.day)).all()
    assert [tuple(r) for r in journal] == [(SPIKE_DAY, "suppressed"), (SPIKE_DAY + timedelta(days=1), "cleared")]


def test_the_same_days_in_another_order_end_in_the_same_state(
    steady_org, history, config, engine, schema, receiver, json_receiver
):
    days = {
        "101": steady(20_000, SPIKE_DAY, 6),
        "202": {**steady(5_000, SPIKE_DAY, 6), SPIKE_DAY: 50_000, SPIKE_DAY + timedelta(days=1): 45_000},
        "303": steady(1_500, SPIKE_DAY, 6),
    }
    write(history, days)
    last = SPIKE_DAY + timedelta(days=5)
    org = replace(ORG, alert_lookback_days=10)
    check_days(config, START, last, org, today=last)
    in_order = spike_rows(engine, schema)
    told = notices(json_receiver)
    assert [p for p, *_ in in_order] == ["space 202"]
    assert told == [("space 202", "alarm"), ("space 202", "clear")]

    with begin(engine, schema) as conn:
        for table in ("usage_alerts", "usage_alert_versions", "checked_days", "evaluation_marks", "alert_deliveries"):
            conn.execute(delete(getattr(tables, table)))  # start again with the same data
    json_receiver.messages.clear()
    order = [START + timedelta(days=i) for i in range((last - START).days + 1)]
    random.Random(7).shuffle(order)
    for day in order:
        run(day, org, config, today=last)
    assert spike_rows(engine, schema) == in_order
    # The same notices, each once: a start still untold when a check replays its end goes out with it
    # (README: checks in any order). The end repeats the start all the same.
    assert sorted(notices(json_receiver)) == sorted(told)
    [end] = [a for m in json_receiver.messages for a in m["alerts"] if a["kind"] == "spike" and a["event"] == "clear"]
    assert (end["spike"]["since"], end["spike"]["first_day_amount"]) == (str(SPIKE_DAY), 50_000)
    with begin(engine, schema) as conn:
        assert conn.execute(select(tables.superseded_notices)).all() == []  # every channel has them: none held


def notices(json_receiver) -> list[tuple[str, str]]:
    """(series, alarm or clear) of each spike notice the JSON channel got."""
    return [
        (a["spike"]["series"], a["event"]) for m in json_receiver.messages for a in m["alerts"] if a["kind"] == "spike"
    ]


def test_the_simulators_runaway_space_through_the_real_fetch(
    airflow_db, simulator, sim_settings, storyblok_conn, warehouse_conn, schema, receiver
):
    from tests.integration.pipeline import daily_runs

    today = sim_settings.today
    assert today is not None
    org = OrgConfig(
        monthly_thresholds=(),
        yearly_thresholds=(),
        forecast_thresholds=(),
        spike_window_days=14,
        overage_alert=None,  # the simulated organisation pays for requests beyond Growth's: not this test's
    )
    daily_runs(org, MonitorConfig(warehouse_schema=schema), today - timedelta(days=18), today - timedelta(days=1))
    # The spike began the day before yesterday, a day caught up: yesterday's check tells it, still on, with
    # Storyblok's year figure against the 18 stored days, in one message (the state then).
    [text] = receiver.texts()
    assert "\nStoryblok reports " in text
    assert "used this year; the stored days since " in text
    first = today - timedelta(days=2)
    assert text.startswith(f"Storyblok traffic: traffic spike in space 100007 of storyblok_default on {first}\n")
    found = re.search(r"used [\d,]+ requests on \S+, ([\d.]+)x its normal", text)
    assert found is not None
    factor = float(found.group(1))
    assert 4.5 < factor < 8  # the simulator multiplies the space by 6, on top of its day-to-day noise


@pytest.fixture
def sim_settings():
    from include.storyblok_simulator import SimulatorSettings

    # The second-largest space (100007) runs away for the last two days before today; its excess
    # (some 30,000 a day) is 3 % of the monthly limit: it moves the bill.
    today = datetime.now(UTC).date()
    spike = (1, today - timedelta(days=2), today - timedelta(days=1))
    return SimulatorSettings(today=today, monthly_limit=1_000_000, spaces=6, spikes=(spike,))


def test_spikes_off_and_too_little_history_is_said(steady_org, history, config, receiver):
    early = run(START + timedelta(days=10), ORG, config)
    assert f"spikes: no verdict yet, 10 of the 56 days before {START + timedelta(days=10)} are stored (14 needed)" in (
        early.notes
    )
    off = replace(ORG, spike_factor=0.0)
    check_days(config, START + timedelta(days=11), SPIKE_DAY - timedelta(days=1), off)
    write(history, {"101": {SPIKE_DAY: 20_000}, "202": {SPIKE_DAY: 50_000}, "303": {SPIKE_DAY: 1_500}})
    evaluation = run(SPIKE_DAY, off, config)
    assert receiver.texts() == []
    assert evaluation.spikes == ()


def test_a_check_of_many_days_finds_the_spikes_the_daily_checks_find(history, config, engine, schema):
    """A check of 14 days or more reads its spaces at once and rules most of them out early
    (``cannot_alarm``): it must record the very episodes that checking day by day records."""
    history.limit("acme", START, 10_000_000)
    last = SPIKE_DAY + timedelta(days=40)
    spaces = {space: steady(amount, count=STEADY + 41, seed=seed) for space, amount, seed in SPACES}
    spaces["202"] |= {SPIKE_DAY: 50_000, SPIKE_DAY + timedelta(days=1): 45_000}  # 10x for two days
    spaces["303"][SPIKE_DAY + timedelta(days=7)] = 4_400  # about 2.9x: below the factor of 3
    spaces["303"][SPIKE_DAY + timedelta(days=14)] = 6_000  # 4x
    spaces["404"][SPIKE_DAY + timedelta(days=21)] = 12_000  # 20x a space below the floor
    spaces["909"] = {SPIKE_DAY + timedelta(days=10 + i): 30_000 for i in range(20)}  # new, then steady
    # busy weekdays, quiet Sundays: a Sunday at 4x its normal Sunday is still below any other day
    spaces["505"] = {d: 1_200 if d.weekday() == 6 else 9_000 for d in spaces["101"]}
    spaces["505"][SPIKE_DAY + timedelta(days=24)] = 4_800
    spaces["606"] = steady(1_000, count=STEADY + 41, seed=6)
    spaces["606"][SPIKE_DAY + timedelta(days=28)] = 3_600  # 3.6x, but its excess is below 0.03 % of 10,000,000
    write(history, spaces)
    today = last + timedelta(days=10)  # every day quiet: recorded, never sent
    org = replace(ORG, spike_min_month_pct=0.03)  # an excess of 3,000 moves the bill

    with begin(engine, schema) as conn:
        check(conn, org, START, last, today, Routing(default=("slack", "json")), backfill=True)
    at_once = journal(engine, schema)
    with begin(engine, schema) as conn:
        for table in ("usage_alerts", "usage_alert_versions", "checked_days", "evaluation_marks"):
            conn.execute(delete(getattr(tables, table)))
    check_days(config, START, last, org, today=today)
    assert journal(engine, schema) == at_once
    on = lambda days: SPIKE_DAY + timedelta(days=days)  # noqa: E731
    assert at_once == [
        (on(0), "space 202", "suppressed"),
        (on(2), "space 202", "cleared"),
        (on(10), "new space 909", "suppressed"),
        (on(11), "new space 909", "cleared"),  # told once per arrival
        (on(14), "space 303", "suppressed"),
        (on(15), "space 303", "cleared"),
        (on(21), "space 404", "suppressed"),
        (on(22), "space 404", "cleared"),
        (on(24), "space 505", "suppressed"),
        (on(25), "space 505", "cleared"),
    ]


SPACES = [("101", 20_000, 1), ("202", 5_000, 2), ("303", 1_500, 3), ("404", 600, 4)]


def journal(engine, schema) -> list[tuple[date, str, str]]:
    """(day, series, status) of every change to a spike row, in order."""
    v = usage_alert_versions.c
    with begin(engine, schema) as conn:
        rows = conn.execute(select(v.day, v.period, v.status).where(v.kind == "spike").order_by(v.day, v.period))
        return [tuple(r) for r in rows]
