"""Alert scenarios against a real Postgres, with local webhook and SMTP receivers capturing what is sent.

``run`` does what a DAG run does after the upsert: check usage as of a day, and notify when the
branch says so.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import msgspec
import pytest
from msgspec.structs import replace
from sqlalchemy import select

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.errors import NotificationError
from storyblok_traffic.evaluation.check import check
from storyblok_traffic.jobs.daily import check_usage, notify_due
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import alert_deliveries, superseded_notices, usage_alerts
from tests.integration.pipeline import EMAIL, JSON, SLACK, run
from tests.integration.warehouse.blocking import wait_for_blocked_backend

# Holes in these histories are on purpose: max_gap_days at its largest keeps their no-data notice out.
YEARLY = OrgConfig(conn_id="sb", org="acme", monthly_thresholds=(), forecast_thresholds=(), max_gap_days=366)


def days(first: date, count: int, amount: int) -> dict[date, int]:
    return {first + timedelta(days=i): amount for i in range(count)}


@pytest.fixture
def config(schema: str) -> MonitorConfig:
    return MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(YEARLY,))


def rows(engine, schema) -> list[tuple[str, str, date, float, str, date]]:
    a = usage_alerts.c
    with begin(engine, schema) as conn:
        found = conn.execute(
            select(a.period, a.kind, a.period_start, a.threshold_pct, a.status, a.crossed_on).order_by(
                a.period_start, a.period, a.kind, a.threshold_pct
            )
        )
        return [(p, k, s, float(t), st, on) for p, k, s, t, st, on in found]


def test_each_yearly_tier_is_announced_once_on_its_day(history, config, receiver, engine, schema):
    history.limit("acme", date(2026, 1, 1), 100)  # 1,200 a year
    history.days("acme", days(date(2026, 1, 1), 14, 100))
    for day in days(date(2026, 1, 1), 14, 0):
        run(day, YEARLY, config)
    texts = receiver.texts()
    assert len(texts) == 4
    for text, (tier, on) in zip(texts, [(50, 6), (75, 9), (90, 11), (100, 12)], strict=True):
        assert f"Crossed the {tier}% threshold on 2026-01-{on:02d}" in text
        assert "also crossed" not in text
    assert texts[0].startswith("Storyblok traffic: acme has used 50.0% of its yearly request limit\n")
    assert "600 of 1,200 requests (50.0%) as of 2026-01-06 in the year 2026-01-01 to 2026-12-31" in texts[0]
    assert [(t, s) for _, _, _, t, s, _ in rows(engine, schema)] == [
        (50, "sent"),
        (75, "sent"),
        (90, "sent"),
        (100, "sent"),
    ]


def test_exactly_at_the_threshold_counts_and_one_below_does_not(history, config, receiver):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 2, 1): 599, date(2026, 2, 2): 1})
    assert run(date(2026, 2, 1), YEARLY, config).pending_notices == 0
    assert run(date(2026, 2, 2), YEARLY, config).pending_notices == 1
    assert len(receiver.texts()) == 1
    assert "Crossed the 50% threshold by 2026-02-02 (31 earlier days not stored yet)" in receiver.texts()[0]


def test_two_thresholds_on_one_day_one_message_on_every_channel(
    history, config, receiver, json_receiver, smtp, engine, schema
):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 1): 300, date(2026, 6, 2): 660})
    history.spaces(
        "acme",
        {
            ("111", date(2026, 6, 2)): 600,
            ("222", date(2026, 6, 1)): 300,
            ("333", date(2026, 6, 2)): 50,
            ("444", date(2026, 6, 2)): 10,
        },
    )
    config = replace(config, channels=(SLACK, EMAIL, JSON))
    run(date(2026, 6, 2), YEARLY, config)

    [text] = receiver.texts()
    assert text == (
        "Storyblok traffic: acme has used 80.0% of its yearly request limit\n"
        "Yearly request limit: 960 of 1,200 requests (80.0%) as of 2026-06-02 in the year 2026-01-01 to 2026-12-31. "
        "Crossed the 75% threshold by 2026-06-02 (151 earlier days not stored yet; also crossed: 50%).\n"
        "Top spaces by API requests this year: 111 (62.5%), 222 (31.2%), 333 (5.2%)."
    )
    [mail] = smtp.emails
    assert (mail.subject, mail.recipients) == (
        "Storyblok traffic: acme has used 80.0% of its yearly request limit",
        ("ops@example.com",),
    )
    assert "Crossed the 75% threshold by 2026-06-02 (151 earlier days not stored yet; also crossed: 50%)." in mail.body
    [doc] = json_receiver.messages
    assert doc["org"] == "acme"
    assert doc["text"] == text
    assert [
        (a["period"], a["kind"], a["threshold"], a["usage"], a["limit"], a["percent"], a["day"]) for a in doc["alerts"]
    ] == [
        ("year", "actual", 75.0, 960, 1200, 80.0, "2026-06-02"),
        ("year", "actual", 50.0, 960, 1200, 80.0, "2026-06-02"),
    ]
    assert doc["alerts"][0]["top_spaces"][0] == {"space_id": "111", "usage": 600, "share": 62.5}
    assert [s for _, _, _, _, s, _ in rows(engine, schema)] == ["sent", "sent"]


def test_a_new_month_starts_clean(history, schema, receiver):
    org = OrgConfig(conn_id="sb", org="acme", yearly_thresholds=(), forecast_thresholds=(), max_gap_days=366)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(org,))
    history.limit("acme", date(2026, 1, 1), 1000)
    history.days("acme", {date(2026, 3, 20): 900, date(2026, 4, 1): 100, date(2026, 4, 25): 750})
    run(date(2026, 3, 20), org, config)
    april_first = run(date(2026, 4, 1), org, config)
    assert april_first.periods[0].start == date(2026, 4, 1)
    assert april_first.periods[0].alerts == ()
    run(date(2026, 4, 25), org, config)
    texts = receiver.texts()
    assert len(texts) == 2
    assert "monthly request limit" in texts[0]
    assert "the month 2026-03-01 to 2026-03-31" in texts[0]
    assert "Crossed the 80% threshold by 2026-04-25 (23 earlier days not stored yet)" in texts[1]


def test_a_contract_year_resets_on_its_start_day(history, schema, receiver):
    org = replace(YEARLY, year_start_month=3, year_start_day=15)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(org,))
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 3, 14): 700, date(2026, 3, 15): 700})
    assert run(date(2026, 3, 14), org, config).pending_notices == 1
    after = run(date(2026, 3, 15), org, config)
    assert after.periods[0].start == date(2026, 3, 15)
    assert after.periods[0].usage == 700
    assert len(receiver.texts()) == 2  # 700 of 1,200 again in the new contract year
    assert "the year 2026-03-15 to 2027-03-14" in receiver.texts()[1]


def test_a_mid_year_upgrade_keeps_past_alerts_and_says_back_within_limits_once(
    history, config, receiver, engine, schema
):
    history.limit("acme", date(2026, 1, 1), 100)  # 1,200 a year
    history.days("acme", {date(2026, 3, 1): 700, date(2026, 6, 1): 10, date(2026, 6, 2): 10})
    run(date(2026, 3, 1), YEARLY, config)
    history.limit("acme", date(2026, 6, 1), 200)  # upgraded: 2,400 a year
    run(date(2026, 6, 1), YEARLY, config)
    run(date(2026, 6, 2), YEARLY, config)
    texts = receiver.texts()
    assert len(texts) == 2
    assert texts[1] == (
        "Storyblok traffic: acme is back within its yearly request limit\n"
        "Back within the yearly request limit: 710 of 2,400 requests (29.6%) as of 2026-06-01, below the 50% threshold "
        "notified before (the limit in force changed)."
    )
    assert rows(engine, schema) == [("year", "actual", date(2026, 1, 1), 50.0, "cleared", date(2026, 3, 1))]
    # The past is judged by the limit of its day: March still reads 58% of 1,200, and moves nothing.
    march = check_usage(date(2026, 3, 1), YEARLY, config, today=date(2026, 6, 2))
    assert (march.periods[0].limit, march.periods[0].percent, march.pending_notices) == (1200, 58.33, 0)
    assert rows(engine, schema)[0][4] == "cleared"


FORECASTING = OrgConfig(conn_id="sb", org="acme", yearly_thresholds=(), monthly_thresholds=(100,))


def test_a_forecast_warns_weeks_before_the_actual_crossing(history, schema, receiver):
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(FORECASTING,))
    history.limit("acme", date(2026, 1, 1), 3000)
    history.days("acme", days(date(2026, 2, 1), 59, 100))  # Feb 1 .. Mar 31
    first = run(date(2026, 3, 1), FORECASTING, config)
    assert first.periods[0].forecast is not None
    assert first.periods[0].forecast.crossings == {"100%": date(2026, 3, 30)}
    for day in days(date(2026, 3, 2), 30, 0):
        run(day, FORECASTING, config)
    texts = receiver.texts()
    assert len(texts) == 2
    assert texts[0].startswith(
        "Storyblok traffic: acme is forecast to reach 100% of its monthly request limit on 2026-03-30\n"
    )
    assert "100 of 3,000 requests (3.3%) as of 2026-03-01" in texts[0]
    assert "Crossed the 100% threshold on 2026-03-30" in texts[1]


def test_no_forecast_alert_while_history_is_short(history, schema, receiver):
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(FORECASTING,))
    history.limit("acme", date(2026, 1, 1), 3000)
    history.days("acme", days(date(2026, 3, 1), 14, 150))
    for day in days(date(2026, 3, 1), 13, 0):
        evaluation = run(day, FORECASTING, config)
        assert evaluation.periods[0].forecast is None
        assert any("no forecast: fewer than 14 stored days" in n for n in evaluation.all_notes())
    assert receiver.texts() == []
    run(date(2026, 3, 14), FORECASTING, config)
    assert len(receiver.texts()) == 1
    assert "forecast to reach 100%" in receiver.texts()[0]


def test_a_400_day_backfill_records_every_crossing_and_sends_only_recent_ones(history, schema, receiver, engine):
    org = OrgConfig(conn_id="sb", org="acme", forecast_thresholds=())
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(org,))
    today = date(2026, 3, 24)
    first = today - timedelta(days=399)
    traffic = days(first, 400, 110)
    history.limit("acme", first, 3000)
    history.days("acme", traffic)
    for day in sorted(traffic):  # in date order, as depends_on_past makes a backfill do
        with begin(engine, schema) as conn:
            due = check(conn, org, day, day, today, Routing(default=("slack",))).pending_notices
        if due:
            notify_due(org, config)

    expected = set()
    for period, limit, thresholds in (("month", 3000, (80, 100)), ("year", 36000, (50, 75, 90, 100))):
        totals: dict[date, int] = {}
        for day in sorted(traffic):
            start = date(day.year, day.month, 1) if period == "month" else date(day.year, 1, 1)
            totals[start] = totals.get(start, 0) + traffic[day]
            expected |= {(period, start, float(t)) for t in thresholds if totals[start] * 100 >= limit * t}
    recorded = rows(engine, schema)
    assert {(p, s, t) for p, _, s, t, _, _ in recorded} == expected
    lookback = today - timedelta(days=3)
    assert all((status == "suppressed") == (on < lookback) for _, _, _, _, status, on in recorded)
    # Only March 2026's 80 % (2,420 of 3,000 on the 22nd) falls within the lookback.
    assert [r for r in recorded if r[4] == "sent"] == [
        ("month", "actual", date(2026, 3, 1), 80.0, "sent", date(2026, 3, 22))
    ]
    [text] = receiver.texts()
    assert "Crossed the 80% threshold on 2026-03-22" in text


def test_stale_data_sends_one_no_data_alert(history, config, receiver, engine, schema):
    history.limit("acme", date(2026, 1, 1), 100_000)
    history.days("acme", days(date(2026, 3, 1), 5, 10))  # up to Mar 5
    assert run(date(2026, 3, 7), YEARLY, config).pending_notices == 0  # two days behind: tolerated
    stale = run(date(2026, 3, 8), YEARLY, config)
    assert stale.data_alert is not None
    assert stale.data_alert.status == "pending"
    assert any("the newest stored day is 2026-03-05, 3 days before 2026-03-08" in n for n in stale.notes)
    run(date(2026, 3, 9), YEARLY, config, fetched_day=False)
    assert receiver.texts() == [
        "Storyblok traffic: no data for acme after 2026-03-05\n"
        "The newest stored day is 2026-03-05, checked for 2026-03-08: check the fetch task and the Storyblok "
        "connection."
    ]


def test_a_fetch_without_the_day_is_no_data_at_once(history, config, receiver):
    history.limit("acme", date(2026, 1, 1), 100_000)
    history.days("acme", days(date(2026, 3, 1), 5, 10))
    assert run(date(2026, 3, 5), YEARLY, config, fetched_day=True).pending_notices == 0
    run(date(2026, 3, 6), YEARLY, config, fetched_day=False)  # one day behind, but Storyblok left it out
    assert len(receiver.texts()) == 1
    assert "no data for acme after 2026-03-05" in receiver.texts()[0]


def test_a_failed_channel_is_retried_alone(history, config, receiver, json_receiver, smtp, engine, schema):
    config = replace(config, channels=(SLACK, EMAIL, JSON))
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 2): 700})
    check_usage(date(2026, 6, 2), YEARLY, config, today=date(2026, 6, 2))
    smtp.fail_next = 1
    with pytest.raises(NotificationError, match="email"):
        notify_due(YEARLY, config)
    assert (len(receiver.messages), len(smtp.emails), len(json_receiver.messages)) == (1, 0, 1)
    assert rows(engine, schema)[0][4] == "pending"
    assert notify_due(YEARLY, config) == {"email": ["year requests actual 50% alarm"]}
    assert (len(receiver.messages), len(smtp.emails), len(json_receiver.messages)) == (1, 1, 1)
    assert rows(engine, schema)[0][4] == "sent"
    with begin(engine, schema) as conn:
        assert sorted(conn.scalars(select(alert_deliveries.c.channel))) == ["email", "json", "slack"]
    assert notify_due(YEARLY, config) == {}


def test_a_crossing_superseded_before_every_channel_had_it_goes_out_with_its_end(
    history, config, receiver, json_receiver, smtp, engine, schema
):
    """Email failed on the crossing; before its retry, a higher limit ended it. The clear supersedes the
    crossing, and each channel gets what it lacks, in one message: email both, the others the clear."""
    config = replace(config, channels=(SLACK, EMAIL, JSON))
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 2): 700, date(2026, 6, 3): 10})
    check_usage(date(2026, 6, 2), YEARLY, config, today=date(2026, 6, 2))
    smtp.fail_next = 1
    with pytest.raises(NotificationError, match="email"):
        notify_due(YEARLY, config)
    history.limit("acme", date(2026, 6, 3), 1000)  # upgraded before the retry
    ended = check_usage(date(2026, 6, 3), YEARLY, config, today=date(2026, 6, 3))
    assert ended.pending_notices == 2  # the clear, and the crossing email still lacks
    crossing, clear = "year requests actual 50% alarm", "year requests actual 50% clear"
    assert notify_due(YEARLY, config) == {"slack": [clear], "email": [crossing, clear], "json": [clear]}
    [email] = smtp.emails
    assert email.subject == "Storyblok traffic: acme has used 58.3% of its yearly request limit"
    body = email.body
    assert "Crossed the 50% threshold by 2026-06-02" in body
    assert body.index("Crossed the 50%") < body.index("Back within the yearly request limit: 710 of 12,000")
    assert [[a["event"] for a in m["alerts"]] for m in json_receiver.messages] == [["alarm"], ["clear"]]
    d = alert_deliveries.c
    with begin(engine, schema) as conn:
        told = sorted(conn.execute(select(d.notice_seq, d.channel)).tuples())
        assert told == [(seq, c) for seq in (1, 2) for c in ("email", "json", "slack")]
        assert conn.execute(select(superseded_notices)).all() == []
    assert rows(engine, schema)[0][4] == "cleared"
    assert notify_due(YEARLY, config) == {}


def test_a_supersession_undone_by_changed_data_leaves_the_crossing_told_once(history, config, receiver, engine, schema):
    """The day that ended the crossing is fetched again with more traffic: the check rewinds past the
    supersession and the crossing is pending in its row again, no longer also held; it is told once."""
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 2): 700, date(2026, 6, 3): 10})
    check_usage(date(2026, 6, 2), YEARLY, config, today=date(2026, 6, 3))
    history.limit("acme", date(2026, 6, 3), 1000)
    assert check_usage(date(2026, 6, 3), YEARLY, config, today=date(2026, 6, 3)).pending_notices == 2
    history.days("acme", {date(2026, 6, 3): 6_000})  # 6,710 of 12,000: past 50 % again
    assert check_usage(date(2026, 6, 3), YEARLY, config, today=date(2026, 6, 3)).pending_notices == 1
    with begin(engine, schema) as conn:
        assert conn.execute(select(superseded_notices)).all() == []
    assert notify_due(YEARLY, config) == {"slack": ["year requests actual 50% alarm"]}
    [text] = receiver.texts()
    assert text.count("Crossed the 50% threshold") == 1


def test_two_concurrent_runs_for_one_day_send_one_message(history, config, receiver):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 2): 700})
    receiver.delay = 0.5  # the first sender holds the alert while the second one arrives
    start = threading.Barrier(2)

    def one_run() -> None:
        start.wait()
        run(date(2026, 6, 2), YEARLY, config)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(one_run) for _ in range(2)]
        for each in runs:
            each.result(timeout=30)  # raises what the run raised
    assert len(receiver.messages) == 1


def test_old_days_record_without_sending(history, config, receiver, engine, schema):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 2): 700})
    org = msgspec.structs.replace(YEARLY, alert_lookback_days=3)
    quiet = run(date(2026, 6, 2), org, config, today=date(2026, 6, 6))
    assert quiet.quiet
    assert quiet.pending_notices == 0
    assert receiver.messages == []
    assert rows(engine, schema)[0][4] == "suppressed"
    assert run(date(2026, 6, 1), org, config, today=date(2026, 6, 6)).pending_notices == 0  # older still
    assert receiver.messages == []
    # The first day within the lookback tells the year's alarm once, as the state now (issue 22); the days
    # before it were checked, quietly (no history load: monitoring had started).
    run(date(2026, 6, 3), org, config, today=date(2026, 6, 6))
    [text] = receiver.texts()
    assert "Crossed the 50% threshold by 2026-06-02 (152 earlier" in text


def test_notices_held_back_go_out_together_with_their_own_days(history, config, receiver):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 1): 700, date(2026, 6, 2): 300})
    receiver.fail_next = 1
    run_one = check_usage(date(2026, 6, 1), YEARLY, config, today=date(2026, 6, 2))
    assert run_one.pending_notices == 1
    with pytest.raises(NotificationError):
        notify_due(YEARLY, config)  # the webhook is down: 50 % waits
    run(date(2026, 6, 2), YEARLY, config)  # 83 %: 75 % joins it
    [text] = receiver.texts()
    assert (
        "Crossed the 75% threshold by 2026-06-02 (151 earlier days not stored yet; also crossed: 50% by 2026-06-01)."
        in text
    )


def test_older_history_moves_the_first_alarm_back_and_announces_what_the_full_data_crosses(
    history, config, receiver, engine, schema
):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 9): 300, date(2026, 6, 10): 400})
    run(date(2026, 6, 10), YEARLY, config)  # only two days stored: 50 % "on June 10"
    assert rows(engine, schema)[0][5] == date(2026, 6, 10)
    history.days("acme", {date(2026, 3, 1): 650})  # the backfill brings March
    run(date(2026, 3, 1), YEARLY, config, today=date(2026, 6, 11))
    # March is checked first now, quietly (50 %, already announced); June 10 is checked again after
    # it, in date order, and finds 112 %: what the same days run in date order would have said.
    assert rows(engine, schema)[0][4:] == ("sent", date(2026, 3, 1))
    first, second = receiver.texts()
    assert "Crossed the 50% threshold by 2026-06-10" in first
    assert "Crossed the 100% threshold by 2026-06-10 (158 earlier days not stored yet; " in second
    assert "also crossed: 75% by 2026-06-09, 90%)." in second  # monitored since June 9: no history load
    assert "50%" not in second


def test_a_check_during_a_send_waits_for_it_and_nothing_goes_out_twice(history, config, receiver, engine, schema):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 6, 9): 300, date(2026, 6, 10): 400})
    checked = check_usage(date(2026, 6, 10), YEARLY, config, today=date(2026, 6, 10))
    assert checked.pending_notices == 1  # 50 % "on June 10"
    receiver.gate.clear()  # the webhook hangs: the sender's transaction stays open
    with ThreadPoolExecutor(max_workers=2) as pool:
        sender = pool.submit(notify_due, YEARLY, config)
        assert receiver.arrived.wait(10)
        history.days("acme", {date(2026, 3, 1): 650})  # the backfill brings March: the alarm began earlier
        check = pool.submit(check_usage, date(2026, 3, 1), YEARLY, config, today=date(2026, 6, 11))
        wait_for_blocked_backend(engine, "%")  # the check waits for the sender to finish
        receiver.gate.set()
        sender.result(timeout=30)
        check.result(timeout=30)
    assert rows(engine, schema)[0][4:] == ("sent", date(2026, 3, 1))  # moved back, still sent
    assert notify_due(YEARLY, config) == {
        "slack": ["year requests actual 75% alarm", "year requests actual 90% alarm", "year requests actual 100% alarm"]
    }
    assert notify_due(YEARLY, config) == {}
    assert len(receiver.texts()) == 2  # 50 % went out once


def test_a_crossing_with_earlier_days_missing_is_told_as_by_that_day(history, config, receiver, json_receiver):
    config = replace(config, channels=(SLACK, JSON))
    history.limit("acme", date(2026, 1, 1), 100)  # 1,200 a year
    history.days("acme", {date(2026, 6, 9): 300, date(2026, 6, 10): 400})  # Jan 1 .. Jun 8 not stored
    run(date(2026, 6, 10), YEARLY, config)
    [text] = receiver.texts()
    assert "Crossed the 50% threshold by 2026-06-10 (159 earlier days not stored yet)." in text
    [alert] = json_receiver.messages[0]["alerts"]
    assert (alert["crossed_on"], alert["days_missing_before"]) == ("2026-06-10", 159)


def test_a_crossing_with_every_earlier_day_stored_names_its_day(history, config, receiver):
    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", days(date(2026, 1, 1), 7, 100))
    run(date(2026, 1, 7), YEARLY, config)
    [text] = receiver.texts()
    assert "Crossed the 50% threshold on 2026-01-06." in text


def test_a_hole_no_daily_run_will_fill_is_one_no_data_notice_naming_it(history, config, receiver):
    org = replace(YEARLY, max_gap_days=31)
    history.limit("acme", date(2026, 1, 1), 100_000)
    history.days("acme", days(date(2026, 1, 1), 90, 10))  # Jan 1 .. Mar 31
    history.days("acme", days(date(2026, 5, 20), 22, 10))  # May 20 .. Jun 10: April to May 19 missing
    first = run(date(2026, 6, 10), org, config)
    run(date(2026, 6, 11), org, config)  # the same hole: no second notice
    [text] = receiver.texts()
    assert text.startswith("Storyblok traffic: no data for acme after 2026-03-31\n")
    assert "49 days not stored, from 2026-04-01 to 2026-05-19, and no daily run" in text
    assert "trigger storyblok_traffic_backfill for 2026-04-01 to 2026-05-19" in text
    assert any("49 days not stored, from 2026-04-01" in note for note in first.notes)
    history.days("acme", days(date(2026, 4, 1), 49, 10))  # the backfill fills it
    assert run(date(2026, 6, 12), org, config).pending_notices == 0
    assert len(receiver.texts()) == 1


def test_the_first_live_check_after_a_quiet_history_tells_the_open_periods_once(
    history, schema, receiver, json_receiver, engine
):
    """Installed in December: the year's crossings and its forecast, recorded quietly during the history
    load, are told on the first live check as the state now; November's crossings stay suppressed."""
    org = OrgConfig(conn_id="sb", org="acme", forecast_thresholds=(90.0,), max_gap_days=366)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK, JSON), organisations=(org,))
    history.limit("acme", date(2026, 1, 1), 900)  # 10,800 a year
    traffic = days(date(2026, 1, 1), 304, 25) | days(date(2026, 11, 1), 32, 50)  # to 2026-12-02
    history.days("acme", traffic)
    with begin(engine, schema) as conn:
        check(
            conn,
            org,
            date(2026, 1, 1),
            date(2026, 12, 1),
            date(2026, 12, 3),
            Routing(default=("slack", "json")),
            backfill=True,
        )
    quiet_forecast = [r for r in rows(engine, schema) if r[:2] == ("year", "forecast")]
    assert [r[4] for r in quiet_forecast] == ["suppressed"]
    assert receiver.messages == []

    run(date(2026, 12, 2), org, config, today=date(2026, 12, 3))
    [text] = receiver.texts()
    lines = text.splitlines()
    assert lines[1] == (
        "Where acme stands as of 2026-12-02 (monitoring started on 2026-12-02: what was reached before then is told "
        "once now, marked so)."
    )
    assert "9,200 of 10,800 requests (85.2%) as of 2026-12-02" in text
    assert "Crossed the 75% threshold on 2026-11-10 (before monitoring started on 2026-12-02; also crossed" in text
    # The forecast as of the live day (50 a day), not the one made quietly in November.
    assert "reaches 90% of the yearly request limit on 2026-12-13" in text
    [payload] = json_receiver.messages
    assert {(a["period"], a["kind"], a["threshold"], a["before_monitoring"]) for a in payload["alerts"]} == {
        ("year", "actual", 50.0, True),
        ("year", "actual", 75.0, True),
        ("year", "forecast", 90.0, False),
        ("month", "forecast", 90.0, False),  # December's own, new on the live day
    }
    recorded = rows(engine, schema)
    closed = {(r[1], r[4]) for r in recorded if r[0] == "month" and r[2] < date(2026, 12, 1)}
    # Ended months: still quiet (a forecast whose projection fell back ended, quietly: never told).
    assert {status for kind, status in closed if kind != "forecast"} == {"suppressed"}
    assert {status for kind, status in closed if kind == "forecast"} <= {"suppressed", "cleared"}
    assert {r[4] for r in recorded if r[0] == "year"} == {"sent"}

    run(date(2026, 12, 3), org, config, today=date(2026, 12, 4))  # told once: nothing new the next day
    assert len(receiver.texts()) == 1


def test_the_asset_events_bill_is_the_bill_the_dashboard_shows(history, engine, schema, warehouse_conn):
    """The upsert's asset event carries the check's own bill (one computation): the same plan, overage and
    projected bill as the dashboard's bill figures for that day."""
    from storyblok_traffic.evaluation.meters import bill_figures
    from storyblok_traffic.jobs.daily import outlet_extra
    from storyblok_traffic.warehouse.stored_days import StoredDays
    from storyblok_traffic.xcom import Upserted

    history.limit("acme", date(2026, 1, 1), 1_000_000)  # Growth's: billed in USD
    days = [date(2026, 5, 1) + timedelta(days=i) for i in range(35)]
    history.meters("acme", {day: (40_000, 20 * 10**9) for day in days})
    org = OrgConfig(conn_id="sb", org="acme")
    config = MonitorConfig(warehouse_schema=schema, organisations=(org,))
    extra = outlet_extra(Upserted("acme", days[-1], days[-1], 1, True, {}), config)
    with begin(engine, schema) as conn:
        shown = bill_figures(StoredDays(conn, "acme"), org, days[-1])
    assert shown.now is not None
    assert shown.at_end is not None
    assert (extra["plan"], extra["currency"]) == (shown.now.plan, shown.now.currency) == ("growth", "USD")
    assert extra["overage"] == str(shown.now.overage)
    assert extra["projected_bill"] == str(shown.at_end.total)
