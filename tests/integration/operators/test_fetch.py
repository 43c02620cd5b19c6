from __future__ import annotations

import json
from datetime import date

import pytest
from airflow.sdk.exceptions import AirflowFailException

from include.storyblok_simulator import Fault
from storyblok_traffic.model import FetchedTraffic
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator, requested_days
from storyblok_traffic.payloads import Upserted


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
    from storyblok_traffic.tasks import upsert_traffic
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
