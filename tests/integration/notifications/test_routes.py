"""Routes through a real delivery (issue 38): each channel gets exactly the notices routed to it, once;
a channel that is down gets its own when it is back, and the others nothing twice; a notice is done
when every channel it is routed to has it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from storyblok_traffic.config import MonitorConfig, OrgConfig, RouteConfig, RouteMatch
from storyblok_traffic.notifications.delivery import deliver_pending
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.warehouse import alerts
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import History
from tests.integration.pipeline import EMAIL, JSON, SLACK
from tests.unit.rules.test_message_batch import MONTH, SPACE_SPIKE, YEAR80

ORG = OrgConfig(conn_id="sb", org="acme")
DAY = date(2026, 11, 26)
# The hard cap to email (the pager here) and on; a space's spike to the JSON webhook (its team's tool);
# the rest to Slack, the organisation's channels being all three.
ROUTES = (
    RouteConfig(channels=(EMAIL.name,), match=RouteMatch(severity="critical"), go_on=True),
    RouteConfig(channels=(JSON.name,), match=RouteMatch(kind="spike", space=("12345",))),
    RouteConfig(channels=(SLACK.name,), match=RouteMatch(kind=("actual", "maximum"))),
)
CAP = replace(MONTH, kind=st.MAXIMUM, threshold_pct=100.0)
NOTICES = [replace(a, status=st.PENDING) for a in (YEAR80, SPACE_SPIKE, CAP)]


def kinds(messages: list[dict]) -> list[list[str]]:
    return [[f"{a['period']} {a['kind']}" for a in m["alerts"]] for m in messages]


def test_each_channel_gets_exactly_its_routed_notices_once(
    engine, schema, warehouse_conn, receiver, json_receiver, smtp
):
    History(engine, schema)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK, JSON, EMAIL), routes=ROUTES, organisations=(ORG,))
    routing = config.routing(ORG)
    assert [routing(a) for a in NOTICES] == [("slack",), ("json",), ("email", "slack")]
    json_receiver.fail_next = 1  # the JSON webhook is down for the first delivery
    with begin(engine, schema) as conn:
        alerts.save(conn, NOTICES, DAY, before={})
        first = deliver_pending(conn, ORG, config.channels, routing)
    assert set(first.failures) == {"json"}
    assert sorted(first.sent) == ["email", "slack"]
    [slack] = receiver.texts()  # the crossing and the hard cap, in one message
    assert "Hard maximum of API requests" in slack
    assert "Yearly request limit" in slack
    assert "space 12345" not in slack  # the spike is the space team's
    [email] = smtp.emails  # the hard cap alone
    assert email.subject == slack.splitlines()[0]
    assert "Yearly request limit" not in email.body

    with begin(engine, schema) as conn:  # the retry: only the JSON webhook, with only its spike
        second = deliver_pending(conn, ORG, config.channels, routing)
        pending = alerts.pending(conn, ORG.org)
    assert (sorted(second.sent), second.failures) == (["json"], {})
    assert kinds(json_receiver.messages) == [["space 12345 spike"]]
    assert (len(receiver.texts()), len(smtp.emails)) == (1, 1)  # nothing twice
    assert pending == []  # every notice is with every channel it is routed to
