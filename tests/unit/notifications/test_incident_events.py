"""What the incident services and Teams are sent (issue 38, part 4), pure: one message per notice with
its row's key, a trigger before its resolve; an alarm over without a notice resolved by its own text;
a Teams card whose link is a button."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from storyblok_traffic.notifications.senders import incident_of, teams_card
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.messages import Message, ended_message, incident_messages
from tests.unit.rules.test_message_batch import MONTH, SPACE_SPIKE, YEAR80


def test_each_notice_is_its_own_incident_event_keyed_by_its_row_the_older_notice_first():
    clear = replace(SPACE_SPIKE, notice=st.CLEAR, notice_seq=2)
    told = incident_messages("acme", "requests", [clear, YEAR80, SPACE_SPIKE])
    events = [(m.incident.key, m.incident.resolve, m.incident.severity) for _, m in told if m.incident]
    assert events == [
        ("storyblok-traffic/acme/space 12345/-/requests/spike/0", False, "info"),
        ("storyblok-traffic/acme/space 12345/-/requests/spike/0", True, "info"),
        ("storyblok-traffic/acme/year/2026-01-01/requests/actual/80", False, "warning"),
    ]
    assert [m.subject.split(":")[0] for _, m in told] == ["Storyblok traffic"] * 3


def test_an_alarm_over_with_its_period_resolves_under_a_subject_that_says_so():
    cap = replace(MONTH, kind=st.MAXIMUM)  # November's
    ended = ended_message("acme", "requests", cap, newest=date(2026, 12, 1))
    assert ended.incident is not None
    assert ended.incident.resolve
    assert ended.subject.endswith(": resolved, its month ended on 2026-11-30")
    assert ended.text.startswith(ended.subject + "\n")
    still = ended_message("acme", "requests", cap, newest=date(2026, 11, 30))
    assert still.subject.endswith(": resolved, no longer seen as of 2026-11-30")


def test_a_message_of_your_own_dag_is_one_critical_incident_per_subject():
    one, same = incident_of(Message("Nightly export failed", "x")), incident_of(Message("Nightly export failed", "y"))
    assert one == same
    assert (one.resolve, one.severity) == (False, "critical")
    assert one != incident_of(Message("Another subject", "x"))


def test_a_teams_card_has_the_lines_as_blocks_and_the_link_as_a_button():
    message = Message(
        "Subject", "Subject\nLine one\nDashboard: https://x.example/plugin", link="https://x.example/plugin"
    )
    card = teams_card(message)["attachments"][0]["content"]
    assert [b["text"] for b in card["body"]] == ["Subject", "Line one"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the dashboard", "url": "https://x.example/plugin"}
    ]
    assert "actions" not in teams_card(Message("S", "S\nL"))["attachments"][0]["content"]
