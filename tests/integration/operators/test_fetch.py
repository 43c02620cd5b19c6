from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from include.storyblok_simulator import Fault
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator, requested_days
from storyblok_traffic.xcom import FetchedTraffic, Upserted


def operator(**kwargs) -> StoryblokTrafficOperator:
    return StoryblokTrafficOperator(
        task_id="fetch_traffic", start_date_str="2026-03-01", end_date_str="2026-03-02", **kwargs
    )


def test_returns_a_small_validated_result_without_secrets(simulator, storyblok_conn):
    result = operator(org="acme").execute({})
    fetched = FetchedTraffic.from_xcom(result)
    assert (fetched.org, fetched.start_date, fetched.end_date) == ("acme", date(2026, 3, 1), date(2026, 3, 2))
    assert len(fetched.daily().org_days) == 2
    text = json.dumps(result)
    assert simulator.settings.token not in text
    assert "Authorization" not in text
    assert len(text) < 10_000


def test_templated_fields():
    assert set(StoryblokTrafficOperator.template_fields) >= {"start_date_str", "end_date_str", "org"}


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=401, body={"error": "Unauthorized"}),
        Fault(status=200, body={"traffic": []}),
        Fault(status=200, body=b"<html>"),
    ],
)
def test_permanent_problems_fail_without_retries(simulator, storyblok_conn, fault):
    simulator.faults.append(fault)
    with pytest.raises(AirflowFailException):
        operator().execute({})


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-02", "2026-03-01", "before start date"),
        ("2026-03-01", "2026-03-11", "in the future"),
        ("yesterday", "2026-03-01", "YYYY-MM-DD"),
    ],
)
def test_bad_ranges_are_rejected(start, end, expected):
    with pytest.raises(AirflowFailException, match=expected):
        requested_days(start, end, today=date(2026, 3, 10))


def test_refetch_days_fill_in_bytes_storyblok_finalised_later(simulator, storyblok_conn, history, schema, engine):
    from sqlalchemy import select

    from storyblok_traffic.config import MonitorConfig
    from storyblok_traffic.jobs.daily import upsert_traffic
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.tables import org_traffic_daily

    config = MonitorConfig(warehouse_schema=schema)

    def fetch_day(day: str) -> Upserted:
        fetch = StoryblokTrafficOperator(task_id="f", start_date_str=day, end_date_str=day, refetch_days=3)
        return upsert_traffic(fetch.execute({}), config)

    def bytes_of(day: date) -> int | None:
        with begin(engine, schema) as conn:
            t = org_traffic_daily.c
            return conn.scalar(select(t.total_bytes).where(t.day == day))

    simulator.settings.today = date(2026, 3, 10)
    assert fetch_day("2026-03-09").fetched_day is True
    assert bytes_of(date(2026, 3, 9)) is None  # not calculated yet
    simulator.settings.today = date(2026, 3, 13)
    assert fetch_day("2026-03-12").org_days == 4  # 9th..12th in one request
    assert simulator.calls()[-1]["query"]["start_date"] == ["2026-03-09"]
    assert bytes_of(date(2026, 3, 9)) == sum(b for _, _, b in simulator.model.day_rows(date(2026, 3, 9)))


BAD_CONNECTIONS = {
    "unknown region": ({"extra": {"region": "mars"}, "host": None}, "unknown region 'mars'"),
    "token of the wrong kind": ({"password": "Bearer {token}"}, "without the 'Bearer ' prefix"),
    "extra not an object": ({"extra": ["eu"]}, "extra must be a JSON object"),
    "rate not a number": ({"extra": {"requests_per_second": "fast"}}, "requests_per_second 'fast'"),
    "timeout out of range": ({"extra": {"read_timeout": 0}}, "read_timeout 0"),
    "host with /v1": ({"host": "{url}/v1"}, "must not end with /v1"),
}


@pytest.mark.parametrize(("change", "named"), BAD_CONNECTIONS.values(), ids=BAD_CONNECTIONS.keys())
def test_bad_connections_fail_before_any_request(simulator, monkeypatch, change, named):
    token = simulator.settings.token
    conn = {"conn_type": "storyblok", "host": simulator.url, "password": token}
    conn |= {k: v.format(token=token, url=simulator.url) if isinstance(v, str) else v for k, v in change.items()}
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_DEFAULT", json.dumps(conn))
    with pytest.raises(AirflowFailException, match=named) as err:
        operator().execute({})
    assert token not in str(err.value)
    assert simulator.calls() == []


def test_bad_ranges_fail_before_any_request(simulator, storyblok_conn):
    with pytest.raises(AirflowFailException, match="before start date"):
        StoryblokTrafficOperator(task_id="f", start_date_str="2026-03-02", end_date_str="2026-03-01").execute({})
    assert simulator.calls() == []


def heal(schema: str, day: date, **kwargs) -> Upserted:
    """The daily fetch (refetch 3, healing on) for ``day``, upserted."""
    from storyblok_traffic.config import MonitorConfig
    from storyblok_traffic.jobs.daily import upsert_traffic

    config = MonitorConfig(warehouse_schema=schema)
    options: dict[str, Any] = {"refetch_days": 3, "max_gap_days": 31, "warehouse": config.warehouse} | kwargs
    fetch = StoryblokTrafficOperator(task_id="fetch_traffic", start_date_str=str(day), end_date_str=str(day), **options)
    return upsert_traffic(fetch.execute({}), config)


def stored_days(engine, schema) -> list[date]:
    from sqlalchemy import select

    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.tables import org_traffic_daily

    with begin(engine, schema) as conn:
        return sorted(conn.scalars(select(org_traffic_daily.c.day)))


DAY = date(2026, 3, 8)  # the simulator's today is 2026-03-10: this day has its bytes


def test_days_missed_while_down_are_fetched_in_the_same_single_request(
    simulator, storyblok_conn, warehouse_conn, engine, schema
):
    heal(schema, DAY - timedelta(days=10), refetch_days=0)
    calls = len(simulator.calls())
    assert heal(schema, DAY).org_days == 10  # the 9 days after the stored one, and DAY
    assert len(simulator.calls()) == calls + 1
    assert simulator.calls()[-1]["query"]["start_date"] == [str(DAY - timedelta(days=9))]
    assert stored_days(engine, schema) == [DAY - timedelta(days=10 - i) for i in range(11)]


def test_a_gap_longer_than_max_gap_days_is_healed_up_to_it_and_named(
    simulator, storyblok_conn, warehouse_conn, engine, schema, caplog, capfd
):
    heal(schema, DAY - timedelta(days=40), refetch_days=0)
    heal(schema, DAY)
    assert simulator.calls()[-1]["query"]["start_date"] == [str(DAY - timedelta(days=31))]
    assert len(stored_days(engine, schema)) == 1 + 32
    missing = f"{DAY - timedelta(days=39)}..{DAY - timedelta(days=32)}"
    logged = caplog.text + "".join(capfd.readouterr())  # the operator logs through Airflow's structlog
    assert f"Days {missing} of storyblok_default are missing" in logged
    assert "trigger storyblok_traffic_backfill" in logged


def test_a_day_without_bytes_is_asked_again_and_healing_can_be_turned_off(
    simulator, storyblok_conn, warehouse_conn, engine, schema
):
    simulator.settings.today = DAY - timedelta(days=4)  # DAY - 5 and DAY - 4 have no bytes yet
    heal(schema, DAY - timedelta(days=5), refetch_days=0)
    simulator.settings.today = date(2026, 3, 10)
    heal(schema, DAY, max_gap_days=0)
    assert simulator.calls()[-1]["query"]["start_date"] == [str(DAY - timedelta(days=3))]  # refetch only
    heal(schema, DAY)
    assert simulator.calls()[-1]["query"]["start_date"] == [str(DAY - timedelta(days=5))]  # from the incomplete day
    assert stored_days(engine, schema) == [DAY - timedelta(days=5 - i) for i in range(6)]
