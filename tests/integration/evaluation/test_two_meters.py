"""Both meters watched every day: requests against Storyblok's limit, bandwidth against the plan's
included amount, each with its own alert rows and notices; bytes that arrive days late count on the
day they arrive, never as zeros before."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
from sqlalchemy import select

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import usage_alerts
from tests.integration.pipeline import JSON, SLACK, run

GB = 10**9
JUNE = [date(2026, 6, 1) + timedelta(days=i) for i in range(20)]
# Growth: 1,000,000 requests and 400 GB a month. Requests reach 100 % on June 10, bandwidth on June 15.
REQUESTS, BYTES = 100_000, 400 * GB // 15 + 1
ORG = OrgConfig(
    conn_id="sb",
    org="acme",
    plan="growth",
    yearly_thresholds=(),
    monthly_thresholds=(100.0,),
    forecast_thresholds=(),
    spike_factor=0,
    overage_alert=None,  # the bill's notices have their own tests (test_bill_notices)
)


def alert_rows(engine, schema: str) -> list[tuple[str, str, float, date, str]]:
    a = usage_alerts.c
    with begin(engine, schema) as conn:
        rows = conn.execute(
            select(a.meter, a.kind, a.threshold_pct, a.crossed_on, a.status).where(a.period == "month")
        ).all()
    return sorted((m, k, float(t), c, s) for m, k, t, c, s in rows)


def test_each_meter_crosses_on_its_own_day_and_is_told_once(history, engine, schema, receiver, json_receiver):
    history.limit("acme", date(2026, 6, 1), 1_000_000)
    history.meters("acme", {d: (REQUESTS, BYTES) for d in JUNE})
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK, JSON), organisations=(ORG,))
    for day in JUNE:
        run(day, ORG, config)
    assert alert_rows(engine, schema) == [
        ("bytes", st.ACTUAL, 100.0, date(2026, 6, 15), st.SENT),
        ("requests", st.ACTUAL, 100.0, date(2026, 6, 10), st.SENT),
    ]
    texts = [m["text"] for m in receiver.messages]
    assert len(texts) == 2
    assert texts[0].startswith("Storyblok traffic: acme has used 100.0% of its monthly request limit")
    assert "1,000,000 of 1,000,000 requests (100.0%) as of 2026-06-10" in texts[0]
    assert texts[1].startswith("Storyblok traffic: acme has used 100.0% of its monthly bandwidth limit")
    assert "400.0 GB of 400 GB (100.0%) as of 2026-06-15" in texts[1]
    fields = [(a["meter"], a["limit"], a["crossed_on"]) for m in json_receiver.messages for a in m["alerts"]]
    assert fields == [("requests", 1_000_000, "2026-06-10"), ("bytes", 400 * GB, "2026-06-15")]


def test_without_a_plan_only_the_limit_meter_is_watched(history, engine, schema, receiver):
    history.limit("acme", date(2026, 6, 1), 800_000)  # no plan of the table includes 800,000 requests
    history.meters("acme", {d: (REQUESTS, BYTES) for d in JUNE})
    org = OrgConfig(conn_id="sb", org="acme", yearly_thresholds=(), monthly_thresholds=(100.0,), spike_factor=0)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(org,))
    evaluation = run(JUNE[-1], org, config)
    assert [(p.meter, p.period) for p in evaluation.periods] == [("requests", "month")]
    assert {m for m, *_ in alert_rows(engine, schema)} == {"requests"}


def test_late_bytes_never_raise_a_false_crossing_nor_hide_the_real_one(history, engine, schema, receiver):
    """Each day's bytes arrive three days late, as Storyblok calculates them: until then the day has
    requests and no bytes. The bandwidth crossing (June 15) is told when June 15's bytes arrive."""
    history.limit("acme", date(2026, 6, 1), 1_000_000)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,))
    bandwidth_told_on = None
    for day in JUNE:
        history.meters("acme", {day: (REQUESTS // 4, None)})  # requests stay far below their limit
        arrived = day - timedelta(days=3)
        if arrived >= JUNE[0]:
            history.meters("acme", {arrived: (REQUESTS // 4, BYTES)})
        evaluation = run(day, ORG, config)
        bandwidth = next(p for p in evaluation.periods if p.meter == "bytes")
        assert bandwidth.usage == BYTES * max(0, (arrived - JUNE[0]).days + 1)  # complete days only
        if bandwidth_told_on is None and receiver.messages:
            bandwidth_told_on = day
    assert bandwidth_told_on == date(2026, 6, 18)  # June 15's bytes, three days late
    assert alert_rows(engine, schema) == [("bytes", st.ACTUAL, 100.0, date(2026, 6, 15), st.SENT)]
    assert len(receiver.messages) == 1
    assert "by 2026-06-15" not in receiver.messages[0]["text"]


def test_the_bandwidth_forecast_runs_from_complete_days(history, engine, schema, receiver):
    """Days without bytes yet are not days of no traffic: the rate comes from the days with bytes, so the
    month's projection (and the forecast notice) is not lowered by the days still to come."""
    history.limit("acme", date(2026, 6, 1), 1_000_000)
    days: dict[date, tuple[int, int | None]] = {d: (REQUESTS // 4, 20 * GB) for d in JUNE}  # 600 GB by June 30
    days |= {d: (REQUESTS // 4, None) for d in JUNE[-3:]}  # June 18 to 20: bytes not in yet
    history.meters("acme", days)
    org = msgspec.structs.replace(ORG, forecast_thresholds=(100.0,))
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(org,))
    evaluation = run(JUNE[-1], org, config)
    bandwidth = next(p for p in evaluation.periods if p.meter == "bytes")
    assert bandwidth.usage == 17 * 20 * GB
    assert bandwidth.forecast is not None
    assert bandwidth.forecast.projected_usage == 30 * 20 * GB  # June 18 to 30 at 20 GB a day
    assert bandwidth.forecast.crossings == {"100%": date(2026, 6, 20)}  # 400 GB on the 20th day
    [message] = receiver.messages
    assert "forecast to reach 100% of its monthly bandwidth limit on 2026-06-20" in message["text"]


def test_the_bandwidth_card_and_the_bill_project_one_figure(history, engine, schema):
    """The month's bandwidth forecast (its card, its forecast notice) and the bill's projection come from
    the same complete days: one figure, also when the days differ and the newest lack their bytes."""
    from storyblok_traffic.evaluation.day import evaluate
    from storyblok_traffic.evaluation.meters import bill_figures
    from storyblok_traffic.warehouse.stored_days import StoredDays

    history.limit("acme", date(2026, 5, 1), 1_000_000)
    spring = [date(2026, 5, 1) + timedelta(days=i) for i in range(59)]  # May 1 to June 28
    days: dict[date, tuple[int, int | None]] = {d: (1_000, (i % 9 + i // 5) * GB) for i, d in enumerate(spring)}
    days |= {d: (1_000, None) for d in spring[-2:]}  # June 27 and 28: bytes not in yet
    history.meters("acme", days)
    org = msgspec.structs.replace(ORG, forecast_thresholds=(100.0,))
    with begin(engine, schema) as conn:
        evaluation = evaluate(conn, org, spring[-1], quiet=True, fetched_day=True)
        bill = bill_figures(StoredDays(conn, "acme"), org, spring[-1])
    [bandwidth] = [p for p in evaluation.periods if p.meter == "bytes"]
    [size] = [u for u in bill.meters if u.meter == "bytes"]
    assert bandwidth.forecast is not None
    assert (bandwidth.usage, bandwidth.forecast.projected_usage) == (size.used, size.projected)


def test_a_bandwidth_spike_is_told_when_its_bytes_arrive(history, engine, schema, receiver):
    """Requests steady, bandwidth at 8x on June 17 (a hotlinked asset): one bandwidth spike, judged on
    the day its bytes arrive (two days late, the check then evaluates June 17 again), dated June 17."""
    spike_day = date(2026, 6, 17)

    def size(day: date) -> int:
        return 40 * GB if day == spike_day else (5 * GB if day.toordinal() % 3 else 5_200_000_000)

    history.limit("acme", date(2026, 4, 1), 1_000_000)
    history.meters(
        "acme",
        {date(2026, 4, 1) + timedelta(days=i): (10_000, size(date(2026, 4, 1) + timedelta(days=i))) for i in range(75)},
    )
    org = msgspec.structs.replace(ORG, monthly_thresholds=(), spike_factor=3.0)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(org,))
    told_on = None
    for day in [date(2026, 6, 15) + timedelta(days=i) for i in range(6)]:
        history.meters("acme", {day: (10_000, None)})
        arrived = day - timedelta(days=2)
        if arrived >= date(2026, 6, 15):
            history.meters("acme", {arrived: (10_000, size(arrived))})
        run(day, org, config)
        if told_on is None and receiver.messages:
            told_on = day
    assert told_on == date(2026, 6, 19)
    text = receiver.messages[0]["text"]
    assert text.startswith("Storyblok traffic: bandwidth spike in acme on 2026-06-17\n")
    assert "The organisation used 40.0 GB on 2026-06-17, 8x its normal Wednesday (5.0 GB)" in text
    assert "traffic spike" not in text  # the requests did not move
    a = usage_alerts.c
    with begin(engine, schema) as conn:
        rows = conn.execute(select(a.meter, a.period, a.crossed_on).where(a.kind == st.SPIKE)).all()
    assert rows == [("bytes", "organisation", spike_day)]
