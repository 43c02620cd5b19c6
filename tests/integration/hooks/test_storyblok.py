"""The hook against the simulator over real HTTP: auth, errors, retries, throttle."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from include.storyblok_simulator import ALL_TRAFFIC, Fault, SimulatorSettings
from storyblok_traffic.errors import StoryblokRequestRejected, StoryblokUnavailable
from storyblok_traffic.hooks.retry import RetryPolicy
from storyblok_traffic.hooks.storyblok import StoryblokHook

DAY = date(2026, 3, 1)
FAST = RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=0.2, total_seconds=10)


def hook(**kwargs) -> StoryblokHook:
    kwargs.setdefault("retry", FAST)
    return StoryblokHook("storyblok_default", **kwargs)


def set_conn(monkeypatch, url: str, token: str, **extra) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_STORYBLOK_DEFAULT",
        json.dumps({"conn_type": "storyblok", "host": url, "password": token, "extra": extra}),
    )


def test_personal_token_is_sent_as_is(simulator, storyblok_conn):
    response = hook().get_all_traffic(DAY, DAY)
    assert response.status_code == 200
    [call] = simulator.calls()
    assert call["authorization"] == simulator.settings.token
    assert call["query"] == {"start_date": ["2026-03-01"], "end_date": ["2026-03-01"], "group_by": ["day"]}


def test_oauth_token_is_sent_as_bearer(simulator, monkeypatch):
    set_conn(monkeypatch, simulator.url, simulator.settings.oauth_token, auth_scheme="oauth")
    assert hook().get_all_traffic(DAY, DAY).status_code == 200
    assert simulator.calls()[0]["authorization"] == f"Bearer {simulator.settings.oauth_token}"


def test_wrong_token_fails_at_once_with_a_message_and_no_token(simulator, monkeypatch):
    set_conn(monkeypatch, simulator.url, "not-the-token")
    with pytest.raises(StoryblokRequestRejected) as err:
        hook().get_all_traffic(DAY, DAY)
    assert err.value.status == 401
    assert "401" in str(err.value)
    assert "(the Access token is missing, wrong or expired: check the connection's Access token)" in str(err.value)
    assert "not-the-token" not in str(err.value)
    assert len(simulator.calls()) == 1


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "Bad format"}, "Bad format"),
        (403, {"error": "Forbidden"}, "organisation owner or admin"),
        (404, ["This record could not be found"], "This record could not be found"),
        (422, {"start_date": ["is invalid"]}, "start_date: ['is invalid']"),
    ],
)
def test_permanent_errors_are_not_retried(simulator, storyblok_conn, status, body, expected):
    simulator.faults.append(Fault(status=status, body=body))
    with pytest.raises(StoryblokRequestRejected) as err:
        hook().get_all_traffic(DAY, DAY)
    assert err.value.status == status
    assert expected in str(err.value)
    assert len(simulator.calls()) == 1


# Error pages that quote the request they refused, token included.
ECHOING = {
    "JSON error": (403, lambda token: {"error": f"{token} may not read statistics"}, StoryblokRequestRejected),
    "text error": (401, lambda token: f"Unauthorized: {token}".encode(), StoryblokRequestRejected),
    "retried error": (503, lambda token: f"proxy error for Authorization: {token}".encode(), StoryblokUnavailable),
}


@pytest.mark.parametrize(("status", "body", "error"), ECHOING.values(), ids=ECHOING.keys())
def test_error_bodies_that_quote_the_token_are_reported_without_it(simulator, storyblok_conn, status, body, error):
    token = simulator.settings.token
    simulator.faults.append(Fault(status=status, body=body(token)))
    with pytest.raises(error) as err:
        hook(retry=RetryPolicy(max_attempts=1)).get_all_traffic(DAY, DAY)
    assert token not in str(err.value)
    assert "***" in str(err.value)


def test_429_honours_retry_after(simulator, storyblok_conn):
    simulator.faults.append(Fault(status=429, body={"error": "Rate limit"}, headers={"Retry-After": "1"}))
    started = time.monotonic()
    assert hook().get_all_traffic(DAY, DAY).status_code == 200
    # FAST's backoff never waits more than 0.2 s: only Retry-After explains a wait of a second
    assert time.monotonic() - started >= 0.95
    assert len(simulator.calls()) == 2


def test_429_without_retry_after_backs_off_and_succeeds(simulator, storyblok_conn):
    simulator.faults.extend(Fault(status=429, body={"error": "Rate limit"}) for _ in range(3))
    assert hook().get_all_traffic(DAY, DAY).status_code == 200
    assert len(simulator.calls()) == 4


def test_server_errors_and_dropped_connections_are_retried(simulator, storyblok_conn):
    simulator.faults.extend([Fault(status=500), Fault(status=502), Fault(drop=True), Fault(status=503)])
    assert hook().get_all_traffic(DAY, DAY).json()["yearly_traffic_limit"] == 12_000_000
    assert len(simulator.calls()) == 5


def test_read_timeout_is_retried(simulator, storyblok_conn):
    simulator.faults.append(Fault(status=200, body={}, delay=1.0))
    response = hook(timeout=(1.0, 0.3)).get_all_traffic(DAY, DAY)
    assert "cumulated_traffic" in response.json()


def test_retry_time_is_bounded(simulator, storyblok_conn):
    simulator.faults.extend(Fault(status=503) for _ in range(100))
    policy = RetryPolicy(max_attempts=100, base_delay=0.2, max_delay=0.4, total_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(StoryblokUnavailable, match="HTTP 503"):
        hook(retry=policy).get_all_traffic(DAY, DAY)
    assert time.monotonic() - started < 1.5
    assert 2 <= len(simulator.calls()) < 10


def test_attempts_are_bounded(simulator, storyblok_conn):
    simulator.faults.extend(Fault(status=500) for _ in range(10))
    with pytest.raises(StoryblokUnavailable, match="after 3 attempt"):
        hook(retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.01)).get_all_traffic(DAY, DAY)
    assert len(simulator.calls()) == 3


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=date(2026, 3, 10), requests_per_second=3)


def _burst(h: StoryblokHook, n: int) -> None:
    for _ in range(n):
        h.get_all_traffic(DAY, DAY)


def test_throttle_keeps_to_the_plan_rate(simulator, storyblok_conn):
    _burst(hook(requests_per_second=3), 8)
    assert all("fault" not in c for c in simulator.calls())
    assert len(simulator.calls()) == 8  # no 429 was answered, so nothing was retried


def _burst_in_a_process(n: int) -> None:
    _burst(hook(requests_per_second=3), n)


def test_processes_share_the_throttle(simulator, storyblok_conn):
    """Airflow runs each task in its own process: three at once still keep to the plan's rate."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_burst_in_a_process, args=(4,)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(simulator.calls()) == 12  # no 429, so nothing was retried


def test_without_the_throttle_the_simulator_answers_429(simulator, storyblok_conn):
    """The control for the test above: the same burst, unthrottled, does hit the limit."""
    patient = RetryPolicy(max_attempts=10, base_delay=0.3, max_delay=1.0, total_seconds=20)
    _burst(hook(requests_per_second=100, retry=patient), 8)
    assert len(simulator.calls()) > 8


def test_test_connection(simulator, storyblok_conn, monkeypatch):
    ok, message = hook().test_connection()
    assert ok
    # The limits with thousands separators and their unit (issue 37; it read "yearly traffic limit: 12000000").
    monthly = simulator.settings.monthly_limit
    assert message == (
        f"Connected to Storyblok at {simulator.url}; it reports a monthly limit of {monthly:,} requests "
        f"({monthly * 12:,} requests a year)"
    )
    assert "1,000,000 requests" in message  # the simulator's default, written out
    set_conn(monkeypatch, simulator.url, "wrong")
    ok, message = hook().test_connection()
    assert not ok
    assert "401" in message


def test_extras_do_not_become_headers(simulator, monkeypatch):
    set_conn(monkeypatch, simulator.url, simulator.settings.token, region="us", auth_scheme="personal")
    session = hook().get_conn()
    assert "region" not in {k.lower() for k in session.headers}
    assert "auth_scheme" not in {k.lower() for k in session.headers}


def test_all_traffic_endpoint_path(simulator, storyblok_conn):
    hook().get_all_traffic(DAY, DAY)
    assert simulator.requests[0]["path"] == ALL_TRAFFIC == "/v1/orgs/me/statistics/all_traffic"


def test_bad_range_is_rejected_before_any_request(simulator, storyblok_conn):
    with pytest.raises(ValueError, match="before start_date"):
        hook().get_all_traffic(date(2026, 3, 2), date(2026, 3, 1))
    assert simulator.calls() == []


def test_the_token_as_sent_is_registered_with_the_secrets_masker(simulator, monkeypatch):
    # Airflow masks a connection's password as stored; the hook sends it stripped, and a stripped
    # token inside a longer padded one would slip past that registration.
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    token = "pat-padded-0123456789"
    set_conn(monkeypatch, simulator.url, f"  {token}\n")
    assert hook().settings.token == token
    assert token not in str(redact(f"sent Authorization: {token}"))


def test_run_is_the_one_public_request_method_and_it_retries(simulator, storyblok_conn):
    from storyblok_traffic.hooks.storyblok import ALL_TRAFFIC_ENDPOINT

    simulator.faults.append(Fault(status=503))
    params = {"start_date": "2026-03-01", "end_date": "2026-03-01", "group_by": "day"}
    assert hook().run(ALL_TRAFFIC_ENDPOINT, params).status_code == 200
    assert len(simulator.calls()) == 2  # the 503, then the answer


def test_run_keeps_to_the_throttle(simulator, storyblok_conn):
    from storyblok_traffic.hooks.storyblok import ALL_TRAFFIC_ENDPOINT

    h = hook(requests_per_second=3)
    for _ in range(8):
        h.run(ALL_TRAFFIC_ENDPOINT, {"start_date": "2026-03-01", "end_date": "2026-03-01"})
    assert len(simulator.calls()) == 8  # the simulator allows 3 a second: no 429, nothing retried


def test_no_inherited_method_sends_requests_around_run():
    """HttpHook's public run() went around the throttle and the retries; nothing like it is inherited."""
    from airflow.sdk import BaseHook

    inherited = {name for name in dir(StoryblokHook) if not name.startswith("_")} - set(vars(StoryblokHook))
    assert not {"run", "run_and_check", "run_with_advanced_retry", "request"} & inherited
    assert StoryblokHook.__mro__[1] is BaseHook


def test_the_rate_limit_is_the_tokens_not_the_connection_ids(simulator, monkeypatch, tmp_path):
    """Storyblok limits each token at its API root (issue 15): two ids with one token share the
    spacing; one id that holds another organisation's token on another install does not wait for it."""
    monkeypatch.setenv("STORYBLOK_THROTTLE_DIR", str(tmp_path))
    token = simulator.settings.token
    for conn_id in ("storyblok_a", "storyblok_b"):
        conn = {"conn_type": "storyblok", "host": simulator.url, "password": token}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    a = StoryblokHook("storyblok_a", requests_per_second=2)
    b = StoryblokHook("storyblok_b", requests_per_second=2)
    assert a.throttle.wait() < 0.05
    assert 0.3 < b.throttle.wait() < 0.6  # the same token: b waits for a's start

    set_conn(monkeypatch, simulator.url, f"{token}-other-org")
    other = StoryblokHook("storyblok_default", requests_per_second=2)
    assert other.throttle.wait() < 0.05  # another token: its own limit
    assert token not in other.settings.limit_key
