"""Upstream faults end to end (fetch -> upsert), against the simulator and Postgres.

Transient faults are retried and the warehouse ends exactly as after a clean run; permanent ones fail
the task at once, name the cause without the token, and write nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from airflow.sdk.exceptions import AirflowFailException

from include.storyblok_simulator import Fault
from storyblok_traffic.config import MonitorConfig, Warehouse
from storyblok_traffic.jobs.daily import upsert_traffic
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
from storyblok_traffic.warehouse.checksum import table_checksums
from storyblok_traffic.warehouse.engine import begin

DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
RATE = {"error": "Rate limit of 6 request per second reached. Retry later."}

TRANSIENT = {
    "429s without Retry-After": [Fault(status=429, body=RATE) for _ in range(3)],
    "429s with Retry-After": [Fault(status=429, body=RATE, headers={"Retry-After": "1"}) for _ in range(2)],
    "500/502/503 burst": [Fault(status=500), Fault(status=502), Fault(status=503)],
    "connection resets": [Fault(drop=True), Fault(drop=True)],
    # its length declared, half of it sent, the connection closed (a proxy restarting mid-answer)
    "bodies cut short": [Fault(status=200, body=b'{"traffic": [' + b"0," * 2_000 + b"0]}", truncated=True)] * 2,
}


def run_days(config: MonitorConfig) -> None:
    for day in DAYS:
        fetch = StoryblokTrafficOperator(task_id="fetch", start_date_str=str(day), end_date_str=str(day))
        upsert_traffic(fetch.execute({}), config)


def checksums(engine, schema) -> dict[str, str]:
    with begin(engine, schema) as conn:
        return table_checksums(conn)


@pytest.fixture
def clean(simulator, storyblok_conn, warehouse_conn, engine):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    run_days(MonitorConfig(warehouse_schema=schema))
    yield checksums(engine, schema)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.parametrize("faults", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_transient_faults_end_as_a_clean_run(clean, simulator, engine, schema, faults):
    calls_before = len(simulator.calls())
    simulator.faults.extend(faults)  # the first day's request meets the whole script
    run_days(MonitorConfig(warehouse_schema=schema))
    assert len(simulator.calls()) - calls_before == len(DAYS) + len(faults)
    assert checksums(engine, schema) == clean


def test_an_answer_slower_than_the_read_timeout_is_retried(clean, simulator, engine, schema, monkeypatch):
    conn = {"conn_type": "storyblok", "host": simulator.url, "password": simulator.settings.token}
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_DEFAULT", json.dumps({**conn, "extra": {"read_timeout": 0.5}}))
    calls_before = len(simulator.calls())
    simulator.faults.append(Fault(status=200, body={}, delay=3.0))  # the body would be invalid: never read
    run_days(MonitorConfig(warehouse_schema=schema))
    assert len(simulator.calls()) - calls_before == len(DAYS) + 1
    assert checksums(engine, schema) == clean


PERMANENT = {
    "401": (Fault(status=401, body={"error": "Unauthorized"}), "401"),
    "403": (Fault(status=403, body={"error": "Forbidden"}), "403"),
    "404": (Fault(status=404, body=["This record could not be found"]), "404"),
    "422": (Fault(status=422, body={"error": "start_date is invalid"}), "start_date is invalid"),
    "truncated body": (Fault(status=200, body=b'{"montly_traffic_limit": 10'), "not JSON"),
    "not JSON": (Fault(status=200, body=b"<html>maintenance</html>"), "not JSON"),
    "missing field": (Fault(status=200, body={"yearly_traffic_limit": 1}), "required field is missing"),
}


@pytest.mark.parametrize(("fault", "named"), PERMANENT.values(), ids=PERMANENT.keys())
def test_permanent_faults_fail_at_once_and_write_nothing(
    simulator, storyblok_conn, warehouse_conn, schema, fault, named
):
    simulator.faults.append(fault)
    fetch = StoryblokTrafficOperator(task_id="fetch", start_date_str="2026-03-01", end_date_str="2026-03-01")
    with pytest.raises(AirflowFailException) as err:
        upsert_traffic(fetch.execute({}), MonitorConfig(warehouse_schema=schema))
    assert named in str(err.value)
    assert simulator.settings.token not in str(err.value)
    assert len(simulator.calls()) == 1  # no retry


def _payload_with(simulator, mutate) -> dict:
    import copy

    body = copy.deepcopy(simulator.model.all_traffic(DAYS[0], DAYS[0], "day"))
    mutate(body)
    return body


BAD_VALUES = {
    "wrong type": (lambda b: b["traffic"][0].update(api_requests="many"), "traffic.0.api_requests"),
    "negative": (lambda b: b["cumulated_traffic"]["traffic"][0].update(api_requests=-5), "greater than or equal to 0"),
    "outside the range": (lambda b: b["traffic"][0].update(date="2026-02-01"), "outside the requested range"),
    "duplicate space day": (lambda b: b["traffic"].append(dict(b["traffic"][0])), "twice"),
}


@pytest.mark.parametrize(("mutate", "named"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_invalid_values_are_rejected_naming_the_field(simulator, storyblok_conn, mutate, named):
    simulator.faults.append(Fault(status=200, body=_payload_with(simulator, mutate)))
    fetch = StoryblokTrafficOperator(task_id="fetch", start_date_str=str(DAYS[0]), end_date_str=str(DAYS[0]))
    with pytest.raises(AirflowFailException, match=named):
        fetch.execute({})
    assert len(simulator.calls()) == 1


def test_an_invalid_answer_is_kept_aside_and_nothing_else_is_written(
    simulator, storyblok_conn, warehouse_conn, engine, schema
):
    body = _payload_with(simulator, lambda b: b["traffic"][0].update(api_requests=-1))
    simulator.faults.append(Fault(status=200, body=body))
    fetch = StoryblokTrafficOperator(
        task_id="fetch",
        start_date_str=str(DAYS[0]),
        end_date_str=str(DAYS[0]),
        warehouse=Warehouse("storyblok_warehouse", schema),
    )
    with pytest.raises(AirflowFailException, match=f"kept in {schema}.rejected_responses"):
        fetch.execute({})
    with engine.connect() as conn:
        kept = conn.exec_driver_sql(f'SELECT start_date, error, body FROM "{schema}".rejected_responses').all()
        stored = conn.exec_driver_sql(f'SELECT count(*) FROM "{schema}".space_traffic_daily').scalar()
    [(day, error, text)] = kept
    assert (day, stored) == (DAYS[0], 0)
    assert "traffic.0.api_requests" in error
    assert '"api_requests": -1' in text or '"api_requests":-1' in text


def test_an_invalid_answer_that_echoes_the_token_is_kept_without_it(
    simulator, storyblok_conn, warehouse_conn, engine, schema
):
    token = simulator.settings.token
    # A proxy's debug page that repeats the request's headers, token first.
    simulator.faults.append(Fault(status=200, body=f"{token} was sent as Authorization: {token}".encode()))
    fetch = StoryblokTrafficOperator(
        task_id="fetch",
        start_date_str=str(DAYS[0]),
        end_date_str=str(DAYS[0]),
        warehouse=Warehouse("storyblok_warehouse", schema),
    )
    with pytest.raises(AirflowFailException, match="not JSON") as err:
        fetch.execute({})
    assert token not in str(err.value)
    with engine.connect() as conn:
        [(error, text)] = conn.exec_driver_sql(f'SELECT error, body FROM "{schema}".rejected_responses').all()
    assert token not in error
    assert text == "*** was sent as Authorization: ***"


def test_the_token_is_blanked_before_the_answer_is_quoted_or_cut(simulator, storyblok_conn):
    token = simulator.settings.token
    simulator.faults.append(Fault(status=200, body=b"x" * 70 + token.encode()))  # the quote stops mid-token
    fetch = StoryblokTrafficOperator(task_id="fetch", start_date_str=str(DAYS[0]), end_date_str=str(DAYS[0]))
    with pytest.raises(AirflowFailException, match="not JSON") as err:
        fetch.execute({})
    assert token[:8] not in str(err.value)
    assert "x***" in str(err.value)


def test_a_valid_answer_that_quotes_the_token_is_handed_on_without_it(simulator, storyblok_conn):
    token = simulator.settings.token
    body = _payload_with(simulator, lambda b: b.update(debug=f"Authorization: {token}"))
    simulator.faults.append(Fault(status=200, body=body))
    fetch = StoryblokTrafficOperator(task_id="fetch", start_date_str=str(DAYS[0]), end_date_str=str(DAYS[0]))
    handed_on = json.dumps(fetch.execute({}))  # the XCom, which the upsert stores in raw_responses
    assert token not in handed_on
    assert "Authorization: ***" in handed_on


@pytest.mark.parametrize("chunked", [False, True], ids=["declared length", "chunked, no length"])
def test_an_answer_past_the_size_bound_is_refused_read_no_further_and_its_start_kept(
    simulator, monkeypatch, warehouse_conn, engine, schema, chunked
):
    """A proxy's huge page (here 3 MB against a bound of 1 MB): refused before it is read whole, with a
    clear error; nothing written; its first 64 KB kept aside, the token blanked (issue 27)."""
    token = simulator.settings.token
    extra = {"max_answer_mb": 1}
    monkeypatch.setenv(
        "AIRFLOW_CONN_STORYBLOK_DEFAULT",
        json.dumps({"conn_type": "storyblok", "host": simulator.url, "password": token, "extra": extra}),
    )
    page = (f"<html>{token} " + "x" * 3_000_000).encode()
    simulator.faults.append(Fault(status=200, body=page, chunked=chunked))
    fetch = StoryblokTrafficOperator(
        task_id="fetch",
        start_date_str=str(DAYS[0]),
        end_date_str=str(DAYS[0]),
        warehouse=Warehouse("storyblok_warehouse", schema),
    )
    size = f"{len(page):,} bytes declared" if not chunked else "more than 1,000,000 bytes"
    with pytest.raises(AirflowFailException, match=f"too large \\({size}; the connection's max_answer_mb is 1\\)"):
        fetch.execute({})
    with engine.connect() as conn:
        [(error, text)] = conn.exec_driver_sql(f'SELECT error, body FROM "{schema}".rejected_responses').all()
        stored = conn.exec_driver_sql(f'SELECT count(*) FROM "{schema}".org_traffic_daily').scalar()
    assert "refused, read no further" in error
    assert text.startswith("<html>*** xxx")
    assert len(text) <= 65_536
    assert stored == 0
    assert len(simulator.calls()) == 1  # not retried: the same answer would come again
