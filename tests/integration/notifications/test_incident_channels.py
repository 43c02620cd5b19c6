"""Incident services and the other channels through their providers (issue 38, part 4), each against a
local receiver that checks the service's documented request shape (``include/incident_receiver.py``):
PagerDuty triggers a spike's incident and resolves it with the same ``dedup_key`` through the daily
DAG's tasks; Opsgenie creates an alert by alias and closes it by that alias; a Teams card carries the
Adaptive Card schema's required fields; Apprise posts through its json:// service; a channel that is
down gets exactly its notices when it is back, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from include.incident_receiver import IncidentReceiver, teams_errors
from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig
from storyblok_traffic.jobs.daily import check_usage, notify_due
from storyblok_traffic.notifications.delivery import deliver_pending
from storyblok_traffic.operators.pipeline import NOTIFY_TASK, WITHIN_LIMITS_TASK, branch_for
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.warehouse import alerts
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import History
from tests.integration.evaluation.test_spikes import ORG, SPIKE_DAY, START, check_days, steady, write
from tests.integration.pipeline import SLACK, run
from tests.unit.rules.test_message_batch import FORECAST, MONTH, SPACE_SPIKE, YEAR80

PAGER = ChannelConfig(name="pager", type="pagerduty", conn_id="pd_events")
OPSGENIE = ChannelConfig(name="ops", type="opsgenie", conn_id="ops_alerts")
TEAMS = ChannelConfig(name="teams", type="teams", conn_id="teams_workflow")
APPRISE = ChannelConfig(name="apprise", type="apprise", conn_id="apprise_alerts")
DAY = date(2026, 11, 26)


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[IncidentReceiver]:
    """One receiver for every service; PagerDuty's client takes https:// only: its own, over TLS, shares
    the record of what arrived."""
    receiver, pagerduty = IncidentReceiver().start(), IncidentReceiver(tls=tmp_path).start()
    pagerduty.events, pagerduty.refused = receiver.events, receiver.refused
    connections = {
        "PD_EVENTS": {
            "conn_type": "pagerduty_events",
            "host": pagerduty.url,
            "password": "R0UTINGKEY0123456789abcdef0123456",
            "extra": {"ca_bundle": str(pagerduty.ca_file)},
        },
        "OPS_ALERTS": {"conn_type": "opsgenie", "host": receiver.url, "password": "genie-api-key"},
        "TEAMS_WORKFLOW": {"conn_type": "http", "host": f"{receiver.url}/teams"},
        "APPRISE_ALERTS": {
            "conn_type": "apprise",
            "extra": {"config": {"path": f"json://{receiver.url.removeprefix('http://')}/apprise"}},
        },
    }
    for conn_id, conn in connections.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id}", json.dumps(conn))
    yield receiver
    receiver.stop()
    pagerduty.stop()


def test_pagerduty_triggers_a_spikes_incident_and_resolves_it_with_the_same_key(
    history, services, receiver, engine, schema
):
    """Through the daily DAG's tasks (check, branch, notify): the spike triggers, the day it continues
    sends nothing, its end resolves the same incident; Slack gets its two messages beside."""
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK, PAGER), organisations=(ORG,))
    history.limit("acme", START, 1_000_000)
    write(history, {"101": steady(20_000, seed=1), "202": steady(5_000, seed=2)})
    check_days(config, START, SPIKE_DAY - timedelta(days=1))
    after = SPIKE_DAY + timedelta(days=2)
    write(
        history,
        {
            "101": steady(20_000, SPIKE_DAY, 3),
            "202": {SPIKE_DAY: 60_000, SPIKE_DAY + timedelta(days=1): 55_000, after: 5_000},
        },
    )
    for day in (SPIKE_DAY, SPIKE_DAY + timedelta(days=1), after):
        run(day, ORG, config)
    with begin(engine, schema) as conn:  # a later delivery (the watchdog's) resolves nothing twice
        deliver_pending(conn, ORG, config.channels, config.routing(ORG))
    events = services.of("pagerduty")
    assert [e["event_action"] for e in events] == ["trigger", "resolve"]
    trigger, resolve = events
    assert trigger["dedup_key"] == resolve["dedup_key"] == "storyblok-traffic/acme/space 202/-/requests/spike/0"
    assert trigger["routing_key"] == "R0UTINGKEY0123456789abcdef0123456"
    assert trigger["payload"]["summary"] == f"Storyblok traffic: traffic spike in space 202 of acme on {SPIKE_DAY}"
    assert (trigger["payload"]["severity"], trigger["payload"]["source"]) == ("info", "storyblok-traffic")
    assert resolve["payload"]["summary"] == "Storyblok traffic: space 202 of acme is back to normal"
    assert services.refused == []
    assert len(receiver.texts()) == 2  # Slack: the spike, then its end


def test_a_hard_cap_whose_month_ends_is_resolved_once_the_next_month_is_stored(engine, schema, services):
    """A hard maximum has no clear of its own: its incident is resolved when its period is over, as the
    newest stored day says (the month's last day stored: still open), once."""
    history = History(engine, schema)
    org = OrgConfig(conn_id="sb", org="acme")
    config = MonitorConfig(warehouse_schema=schema, channels=(PAGER,), organisations=(org,))
    cap = replace(MONTH, kind=st.MAXIMUM, status=st.PENDING)  # November's, 2026-11-01 to 2026-11-30
    history.days("acme", {date(2026, 11, 30): 1_000})
    with begin(engine, schema) as conn:
        alerts.save(conn, [cap], DAY, before={})
        deliver_pending(conn, org, config.channels, config.routing(org))
        deliver_pending(conn, org, config.channels, config.routing(org))
    assert [e["event_action"] for e in services.of("pagerduty")] == ["trigger"]
    history.days("acme", {date(2026, 12, 1): 1_000})
    for _ in range(2):
        with begin(engine, schema) as conn:
            deliver_pending(conn, org, config.channels, config.routing(org))
    trigger, resolve = services.of("pagerduty")
    assert resolve["event_action"] == "resolve"
    assert (
        resolve["dedup_key"] == trigger["dedup_key"] == "storyblok-traffic/acme/month/2026-11-01/requests/maximum/100"
    )
    assert (
        resolve["payload"]["summary"]
        == trigger["payload"]["summary"].removeprefix("URGENT ") + ": resolved, its month ended on 2026-11-30"
    )


def test_a_check_whose_only_news_is_a_month_ended_takes_the_notify_branch_to_resolve_it(
    engine, schema, services, warehouse_conn
):
    """Nothing else due: the day after the month still leads to the notification, which resolves the hard
    cap's incident (a skipped branch left it open until some other notice); the next check does not."""
    history = History(engine, schema)
    org = OrgConfig(conn_id="sb", org="acme")
    config = MonitorConfig(warehouse_schema=schema, channels=(PAGER,), organisations=(org,))
    history.limit("acme", date(2026, 11, 1), 1_000_000)
    history.days("acme", {date(2026, 11, 30): 1_000})
    with begin(engine, schema) as conn:
        alerts.save(conn, [replace(MONTH, kind=st.MAXIMUM, status=st.PENDING)], DAY, before={})
        deliver_pending(conn, org, config.channels, config.routing(org))
    history.days("acme", {date(2026, 12, 1): 1_000})
    new_day = date(2026, 12, 1)
    assert branch_for(check_usage(new_day, org, config, today=date(2026, 12, 2))) == NOTIFY_TASK
    notify_due(org, config)
    assert [e["event_action"] for e in services.of("pagerduty")] == ["trigger", "resolve"]
    assert branch_for(check_usage(new_day, org, config, today=date(2026, 12, 2))) == WITHIN_LIMITS_TASK


def test_a_forecast_that_falls_back_quietly_is_resolved_once(engine, schema, services):
    """A forecast ends without a notice of its own (its projection fell back): its incident is resolved
    by the next delivery, once; a clear that was told resolves nothing twice."""
    History(engine, schema).days("acme", {DAY: 1_000})
    org = OrgConfig(conn_id="sb", org="acme")
    config = MonitorConfig(warehouse_schema=schema, channels=(PAGER,), organisations=(org,))
    forecast = replace(FORECAST, status=st.PENDING)
    with begin(engine, schema) as conn:
        alerts.save(conn, [forecast], DAY, before={})
        deliver_pending(conn, org, config.channels, config.routing(org))
        [sent] = alerts.history(conn, "acme")
        fell_back = replace(sent, status=st.CLEARED, notice=st.CLEAR)  # as rules.alert_state ends it
        alerts.save(conn, [fell_back], DAY, before={sent.key: sent})
        deliver_pending(conn, org, config.channels, config.routing(org))
        deliver_pending(conn, org, config.channels, config.routing(org))
    assert [e["event_action"] for e in services.of("pagerduty")] == ["trigger", "resolve"]
    assert services.of("pagerduty")[1]["payload"]["summary"].endswith(f": resolved, no longer seen as of {DAY}")


def test_opsgenie_creates_by_alias_and_closes_by_it(engine, schema, services, receiver):
    History(engine, schema)
    org = OrgConfig(conn_id="sb", org="acme")
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK, OPSGENIE), organisations=(org,))
    alarm = replace(YEAR80, status=st.PENDING)
    with begin(engine, schema) as conn:
        alerts.save(conn, [alarm], DAY, before={})
        deliver_pending(conn, org, config.channels, config.routing(org))
        cleared = replace(alarm, status=st.PENDING, notice=st.CLEAR, notice_seq=2)
        alerts.save(conn, [cleared], DAY + timedelta(days=1), before={alarm.key: alarm})
        deliver_pending(conn, org, config.channels, config.routing(org))
        deliver_pending(conn, org, config.channels, config.routing(org))  # nothing twice
    [(_, created_at, created), (_, closed_at, closed)] = [e for e in services.events if e[0] == "opsgenie"]
    alias = "storyblok-traffic/acme/year/2026-01-01/requests/actual/80"
    assert (created_at, created["alias"], created["priority"]) == ("/v2/alerts", alias, "P3")
    assert created["message"].startswith("Storyblok traffic: acme has used")
    assert closed_at == "/v2/alerts/" + alias.replace("/", "%2F") + "/close"  # by alias (identifierType=alias)
    assert closed["source"] == "storyblok-traffic"
    assert len(receiver.texts()) == 2  # Slack: the alarm once, then its clear


def test_a_teams_card_and_an_apprise_notice_carry_what_their_services_require_and_one_down_gets_its_own_once(
    engine, schema, services
):
    History(engine, schema)
    org = OrgConfig(conn_id="sb", org="acme")
    config = MonitorConfig(
        warehouse_schema=schema,
        channels=(TEAMS, APPRISE),
        organisations=(org,),
        dashboard_url="https://airflow.example.com",
    )
    services.fail_next = 1  # Teams (the first channel) is down for the first delivery
    with begin(engine, schema) as conn:
        alerts.save(conn, [replace(SPACE_SPIKE, status=st.PENDING)], DAY, before={})
        first = deliver_pending(conn, org, config.channels, config.routing(org), config.dashboard_url)
        second = deliver_pending(conn, org, config.channels, config.routing(org), config.dashboard_url)
        deliver_pending(conn, org, config.channels, config.routing(org), config.dashboard_url)
    assert (list(first.failures), list(first.sent)) == (["teams"], ["apprise"])
    assert (second.failures, list(second.sent)) == ({}, ["teams"])
    [card] = services.of("teams")
    assert teams_errors(card) == []
    content = card["attachments"][0]["content"]
    assert content["body"][0]["text"] == "Storyblok traffic: traffic spike in space 12345 of acme on 2026-11-26"
    assert content["actions"][0]["url"].startswith("https://airflow.example.com/plugin/storyblok-usage?org=acme")
    assert not any("Dashboard:" in block["text"] for block in content["body"])  # the link is the button
    [told] = services.of("apprise")
    assert told["title"] == "Storyblok traffic: traffic spike in space 12345 of acme on 2026-11-26"
    assert told["message"].endswith("as_of=2026-11-26&space=12345")  # the link marks the spike's space


def test_the_receiver_refuses_what_the_services_refuse():
    """The receiver's checks can fail: a card without its required fields, a trigger without severity."""
    assert teams_errors({"type": "message", "attachments": [{"contentType": "x", "content": {"body": [{}]}}]}) == [
        "contentType: 'x'",
        "content.type: must be 'AdaptiveCard'",
        "content.version: required (a string such as '1.4')",
        "body element {}: type required",
    ]
    from include.incident_receiver import pagerduty_errors

    said = pagerduty_errors({"routing_key": "k", "event_action": "resolve", "payload": {}})
    assert said == ["dedup_key: required to acknowledge or resolve"]
    assert "payload.severity: 'high' is not one of critical, error, warning, info" in pagerduty_errors(
        {"routing_key": "k", "event_action": "trigger", "payload": {"summary": "s", "source": "x", "severity": "high"}}
    )
