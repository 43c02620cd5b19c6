"""A failing pipeline as one incident per cause, through a real warehouse and local receivers: opened and
told once, counted on by later failures, resolved by the next completed check with one notice, and every
notice a receiver got rendered again from the warehouse alone."""

from __future__ import annotations

import html
import json
import time
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.hooks.storyblok import StoryblokHook
from storyblok_traffic.jobs.report import usage_report
from storyblok_traffic.notifications.failure import (
    CAUSE_KEY,
    FAILURE_KEY,
    FINGERPRINT_KEY,
    PipelineFailureNotifier,
)
from storyblok_traffic.operators.fetch import FetchFailed, StoryblokTrafficOperator
from storyblok_traffic.rules.incidents import API_UNAVAILABLE, OPENED, TOKEN_REJECTED, as_told, message
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.incidents import delivered_notices, open_incidents
from tests.integration.pipeline import EMAIL, JSON, SLACK, run

# Without the file load: a check resolves incidents here (with it, only once its day's files are stored:
# tests/integration/dags/test_dag_run.py).
ORG = OrgConfig(
    conn_id="sb", org="acme", monthly_thresholds=(), forecast_thresholds=(), yearly_thresholds=(), asset_traffic=False
)
DAY = date(2026, 3, 2)


@pytest.fixture
def config(schema: str) -> MonitorConfig:
    return MonitorConfig(warehouse_schema=schema, channels=(SLACK, JSON, EMAIL), organisations=(ORG,))


def failed(run_id: str, cause: str, error: str, fingerprint: str | None = None) -> dict[str, Any]:
    """What Airflow hands the DAG's failure callback, with what ``record_failure`` kept as the task's XComs."""
    kept = {FAILURE_KEY: error, CAUSE_KEY: cause, FINGERPRINT_KEY: fingerprint}
    ti = SimpleNamespace(task_id="fetch_traffic", xcom_pull=lambda key: kept.get(key))
    from airflow.sdk import DAG

    return {"dag": DAG("storyblok_traffic", schedule=None), "run_id": run_id, "reason": "task_failure", "ti": ti}


def notifier(config: MonitorConfig) -> PipelineFailureNotifier:
    return PipelineFailureNotifier(channels=config.channels, warehouse=config.warehouse, org=ORG.org)


def received(receiver, json_receiver, smtp) -> dict[str, list[str]]:
    return {
        "slack": receiver.texts(),
        "json": [m["text"] for m in json_receiver.messages],
        "email": [mail.subject for mail in smtp.emails],
    }


def test_a_catch_up_refused_by_its_token_opens_one_incident_and_one_check_resolves_it(
    config, history, receiver, json_receiver, smtp, engine, schema
):
    history.limit("acme", date(2026, 1, 1), 1_000_000)
    history.days("acme", {DAY: 10})
    denied = "Storyblok answered 401 Unauthorized: the token is missing, wrong or expired"
    for n in range(1, 31):  # 30 runs of a catch-up, all refused
        notifier(config)(failed(f"scheduled__2026-03-{n:02d}", TOKEN_REJECTED, denied, "fp-1"))

    got = received(receiver, json_receiver, smtp)
    assert {channel: len(texts) for channel, texts in got.items()} == {"slack": 1, "json": 1, "email": 1}
    assert got["email"] == ["Storyblok traffic: acme is failing: Storyblok rejected the token"]
    assert got["slack"][0].splitlines()[1] == (
        f"Storyblok rejected the token: run scheduled__2026-03-01 failed at task fetch_traffic on "
        f"{got['slack'][0].split(' on ', 1)[1][:20]}: {denied}."
    )
    with begin(engine, schema) as conn:
        [incident] = open_incidents(conn, "acme")
        report = usage_report(conn, "acme", DAY)
    assert "Pipeline failing:\n  30 runs failed since " in report
    assert (
        ": Storyblok rejected the token; fix the connection's Access token, then clear the failed runs (incident open)"
        in report
    )
    assert (incident.runs_failed, incident.first_run, incident.last_run) == (
        30,
        "scheduled__2026-03-01",
        "scheduled__2026-03-30",
    )

    run(DAY, ORG, config)  # the token is fixed: the next check completes
    got = received(receiver, json_receiver, smtp)
    assert {channel: len(texts) for channel, texts in got.items()} == {"slack": 2, "json": 2, "email": 2}
    assert got["email"][1] == "Storyblok traffic: acme is working again (Storyblok rejected the token)"
    assert "30 runs failed, the first scheduled__2026-03-01, the last scheduled__2026-03-30" in got["slack"][1]
    assert "Working again: the check of 2026-03-02 completed on " in got["slack"][1]
    with begin(engine, schema) as conn:
        assert open_incidents(conn, "acme") == []
        report = usage_report(conn, "acme", DAY)
    assert "Pipeline: working; the last incident: 30 runs failed " in report
    assert ": Storyblok rejected the token (resolved on " in report
    run(DAY, ORG, config)  # nothing more to tell
    assert len(receiver.texts()) == 2


def test_every_incident_notice_a_channel_got_renders_again_from_the_warehouse(
    config, history, receiver, json_receiver, smtp, engine, schema
):
    history.limit("acme", date(2026, 1, 1), 1_000_000)
    history.days("acme", {DAY: 10})
    notifier(config)(failed("r1", TOKEN_REJECTED, "Storyblok answered 401 Unauthorized", "fp-1"))
    time.sleep(1.1)  # opened a second apart: the deliveries' order is not the incidents'
    notifier(config)(failed("r2", API_UNAVAILABLE, "Storyblok answered 503 five times"))
    notifier(config)(failed("r3", TOKEN_REJECTED, "Storyblok answered 401 Unauthorized", "fp-1"))  # counted only
    run(DAY, ORG, config)

    with begin(engine, schema) as conn:
        told = delivered_notices(conn, "acme")
    rendered: dict[str, list[Any]] = {"slack": [], "json": [], "email": []}
    for incident, notice, channel in told:
        again = message(as_told(incident, notice))
        rendered[channel].append(
            {"slack": {"text": again.text}, "json": {"subject": again.subject, "text": again.text, **again.data}}.get(
                channel, (again.subject, again.text)
            )
        )
    assert rendered["slack"] == receiver.messages
    assert rendered["json"] == json_receiver.messages
    emails = [(m.subject, html.unescape(m.body.replace("<p>", "").replace("</p>", "")).strip()) for m in smtp.emails]
    assert rendered["email"] == emails
    assert [m["event"] for m in json_receiver.messages] == [OPENED, OPENED, "incident_resolved", "incident_resolved"]


def test_a_channel_that_refused_the_opening_gets_it_with_the_next_failure_and_no_other_twice(
    config, history, receiver, json_receiver, smtp, engine, schema
):
    history.limit("acme", date(2026, 1, 1), 1_000_000)
    smtp.fail_next = 1
    with pytest.raises(RuntimeError, match="email"):
        notifier(config)(failed("r1", TOKEN_REJECTED, "401", "fp-1"))
    assert (len(receiver.texts()), len(smtp.emails)) == (1, 0)
    notifier(config)(failed("r2", TOKEN_REJECTED, "401", "fp-1"))
    assert (len(receiver.texts()), len(json_receiver.messages), len(smtp.emails)) == (1, 1, 1)
    assert "run r1 failed" in receiver.texts()[0]


def test_a_rejected_token_fails_the_next_runs_without_a_request_until_it_changes(
    config, simulator, storyblok_conn, history, warehouse_conn, monkeypatch
):
    def fetch(cleared: int = 0) -> dict[str, Any]:
        return StoryblokTrafficOperator(
            task_id="fetch_traffic",
            storyblok_conn_id=storyblok_conn,
            org="acme",
            start_date_str="2026-03-01",
            end_date_str="2026-03-01",
            warehouse=config.warehouse,
        ).execute({"dag_run": SimpleNamespace(clear_number=cleared)})

    token = simulator.settings.token
    simulator.settings.token = "rotated"  # the connection's token is refused from now on
    with pytest.raises(FetchFailed) as refused:
        fetch()
    assert refused.value.incident_cause == TOKEN_REJECTED
    assert refused.value.token_fingerprint == StoryblokHook(storyblok_conn).settings.fingerprint
    assert token not in refused.value.token_fingerprint
    calls = len(simulator.calls())
    failure = failed("r1", TOKEN_REJECTED, str(refused.value), refused.value.token_fingerprint)
    PipelineFailureNotifier(channels=(), warehouse=config.warehouse, org="acme")(failure)

    with pytest.raises(FetchFailed, match=r"not asking Storyblok: it rejected this Access token in run r1 at ") as fast:
        fetch()
    assert "1 run failed since" in str(fast.value)
    assert "Fix the connection's Access token, then clear this run" in str(fast.value)
    assert len(simulator.calls()) == calls  # not asked
    with pytest.raises(FetchFailed, match="401"):
        fetch(cleared=1)  # a run cleared by hand asks again
    assert len(simulator.calls()) == calls + 1
    calls += 1

    monkeypatch.setenv(  # the connection's Access token is fixed: another token, which is tried
        f"AIRFLOW_CONN_{storyblok_conn.upper()}",
        json.dumps({"conn_type": "storyblok", "host": simulator.url, "password": "rotated"}),
    )
    assert fetch()["org"] == "acme"
    assert len(simulator.calls()) == calls + 1


def test_without_the_warehouse_the_failure_is_tried_again_then_told_directly(
    config, receiver, json_receiver, smtp, monkeypatch
):
    """A warehouse that does not answer keeps no incident: after the tries, every channel gets the
    failure as it is, its cause the warehouse's when the task's could not be read."""
    from include.net import free_port
    from storyblok_traffic.config import Warehouse
    from storyblok_traffic.notifications import failure as failure_module

    monkeypatch.setattr(failure_module, "WAREHOUSE_WAITS", (0, 0))
    monkeypatch.setenv("AIRFLOW_CONN_NOWHERE", f"postgres://postgres@127.0.0.1:{free_port()}/nowhere")
    tries: list[str] = []
    count = PipelineFailureNotifier._count

    def counted(self: PipelineFailureNotifier, org: str, failure: Any) -> list[str]:
        tries.append(org)
        return count(self, org, failure)

    monkeypatch.setattr(PipelineFailureNotifier, "_count", counted)
    nowhere = Warehouse(conn_id="nowhere", schema="storyblok")
    notifier = PipelineFailureNotifier(channels=config.channels, warehouse=nowhere, org=ORG.org)
    context = failed("r1", "unknown", "")
    notifier(context)
    assert len(tries) == 3  # the two waits, then the last try
    got = received(receiver, json_receiver, smtp)
    assert got["email"] == ["Storyblok traffic: acme is failing: the warehouse was unreachable"]
    assert {channel: len(texts) for channel, texts in got.items()} == {"slack": 1, "json": 1, "email": 1}


def test_a_history_load_after_the_fix_tells_working_again_at_once(
    config, history, receiver, json_receiver, smtp, engine, schema
):
    """The history load may be the only run after the fix (the daily days were done before): its
    completed check resolves the incident and tells it, once per channel; its usage stays quiet."""
    from storyblok_traffic.jobs.backfill import evaluate_range
    from storyblok_traffic.xcom import Range

    history.limit("acme", date(2026, 1, 1), 10)
    history.days("acme", {DAY: 100})  # over every limit: the history still tells no usage notice
    notifier(config)(failed("h1", TOKEN_REJECTED, "Storyblok answered 401 Unauthorized", "fp-1"))
    evaluate_range(Range(DAY, DAY), ORG, config)
    evaluate_range(Range(DAY, DAY), ORG, config)  # nothing more to tell
    assert [m["event"] for m in json_receiver.messages] == [OPENED, "incident_resolved"]
    assert len(receiver.texts()) == 2
    assert receiver.texts()[1].startswith("Storyblok traffic: acme is working again (Storyblok rejected the token)")
    assert len(smtp.emails) == 2
