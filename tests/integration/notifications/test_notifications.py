"""Senders over real local receivers: Slack-style webhook, JSON webhook, SMTP; the pipeline failure notice."""

from __future__ import annotations

import html
from types import SimpleNamespace

import pytest

from storyblok_traffic.config import ChannelConfig
from storyblok_traffic.notifications.failure import (
    FAILURE_KEY,
    FAILURE_TEXT,
    MAX_ERROR_CHARS,
    PipelineFailureNotifier,
    record_failure,
)
from storyblok_traffic.notifications.senders import EmailChannelNotifier, SlackChannelNotifier, WebhookChannelNotifier
from storyblok_traffic.rules.messages import Message

SLACK = ChannelConfig(name="slack", type="slack", conn_id="storyblok_alerts_webhook")
EMAIL = ChannelConfig(name="email", type="email", conn_id="smtp_alerts", to=("ops@example.com",))
JSON = ChannelConfig(name="json", type="webhook", conn_id="storyblok_alerts_json")
MESSAGE = Message(subject="Subject line", text="Subject line\nSecond <line>", data={"org": "acme", "alerts": []})


def context(**more: object) -> dict[str, object]:
    """What Airflow hands a DAG's failure callback: the failed task as ``ti`` when it knows it."""
    from airflow.sdk import DAG

    dag = DAG("storyblok_traffic", schedule=None)
    return {"dag": dag, "run_id": "scheduled__2026-06-02", "reason": "task_failure", **more}


def test_slack_posts_the_text(receiver):
    SlackChannelNotifier().send(MESSAGE)
    assert receiver.messages == [{"text": "Subject line\nSecond <line>"}]


def test_json_webhook_posts_the_fields(json_receiver):
    WebhookChannelNotifier(conn_id="storyblok_alerts_json").send(MESSAGE)
    assert json_receiver.messages == [
        {"subject": "Subject line", "text": "Subject line\nSecond <line>", "org": "acme", "alerts": []}
    ]


def test_email_sends_subject_and_escaped_html(smtp):
    EmailChannelNotifier(to=("ops@example.com",), conn_id="smtp_alerts").send(MESSAGE)
    [mail] = smtp.emails
    assert (mail.sender, mail.recipients, mail.subject) == ("monitor@example.com", ("ops@example.com",), "Subject line")
    assert mail.body.strip() == "<p>Subject line</p>\n<p>Second &lt;line&gt;</p>"


def test_notifiers_raise_when_the_receiver_fails(receiver, smtp):
    receiver.fail_next = 1
    with pytest.raises(Exception, match="500"):
        SlackChannelNotifier().send(MESSAGE)
    smtp.fail_next = 1
    with pytest.raises(Exception, match="451"):
        EmailChannelNotifier(to=("ops@example.com",), conn_id="smtp_alerts").send(MESSAGE)


def test_failure_notice_reaches_every_channel_even_when_one_fails(receiver, json_receiver, smtp):
    receiver.fail_next = 1
    with pytest.raises(RuntimeError, match=r"not delivered to channel\(s\): slack"):  # logged by Airflow
        PipelineFailureNotifier(channels=(SLACK, EMAIL, JSON))(context(ti=SimpleNamespace(task_id="upsert_traffic")))
    expected = (
        "Storyblok traffic pipeline storyblok_traffic failed in run scheduled__2026-06-02 at task upsert_traffic "
        "(task_failure). Open the run in the Airflow UI to see the failed task's log."
    )
    assert receiver.messages == []
    assert [m.subject for m in smtp.emails] == ["Storyblok traffic pipeline failed"]
    assert html.unescape(smtp.emails[0].body).strip() == f"<p>{expected}</p>"
    assert json_receiver.messages == [
        {"subject": "Storyblok traffic pipeline failed", "text": expected, "event": "pipeline_failed"}
    ]


def test_failure_notice_without_the_failed_task(receiver):
    PipelineFailureNotifier(channels=(SLACK,))(context())
    assert receiver.texts()[0].startswith(
        "Storyblok traffic pipeline storyblok_traffic failed in run scheduled__2026-06-02 (task_failure). "
    )


class FailedTask:
    """The part of Airflow's task instance that the failure callbacks use: its id and its XComs."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.xcoms: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcoms[key] = value

    def xcom_pull(self, key: str) -> object:
        return self.xcoms.get(key)


def test_a_task_failure_keeps_its_error_for_the_notice(receiver):
    from airflow.sdk.log import mask_secret

    mask_secret("s3cr3t-token-value")
    ti = FailedTask("fetch_traffic")
    error = RuntimeError("Storyblok answered 401 with s3cr3t-token-value " + "x" * 500 + "\nTraceback line")
    record_failure({"ti": ti, "exception": error})
    kept = str(ti.xcoms[FAILURE_KEY])
    assert kept.startswith("Storyblok answered 401 with ***")
    assert (len(kept), kept[-3:]) == (MAX_ERROR_CHARS, "...")
    assert "Traceback" not in kept

    PipelineFailureNotifier(channels=(SLACK,))(context(ti=ti))
    assert receiver.texts()[0].startswith(
        "Storyblok traffic pipeline storyblok_traffic failed in run scheduled__2026-06-02 at task fetch_traffic: "
        "Storyblok answered 401 with ***"
    )


def test_failure_text_is_the_default():
    assert PipelineFailureNotifier(channels=()).text == FAILURE_TEXT


def test_a_dag_of_your_own_can_use_the_channels_as_notifiers(receiver, smtp):
    """The channel notifiers are Airflow notifiers (listed in the provider info): as a task's failure
    callback in a user's DAG, each sends its templated text, rendered from the callback's context."""
    from storyblok_traffic.provider_info import get_provider_info

    listed = get_provider_info()["notifications"]
    assert {
        f"storyblok_traffic.notifications.senders.{name}" for name in ("SlackChannelNotifier", "EmailChannelNotifier")
    } <= set(listed)
    failed = context(ti=SimpleNamespace(task_id="load"))  # what Airflow hands a failure callback
    SlackChannelNotifier(text="{{ ti.task_id }} of {{ dag.dag_id }} failed")(failed)
    EmailChannelNotifier(
        to=("ops@example.com",), conn_id="smtp_alerts", subject="{{ dag.dag_id }} failed", text="Task {{ ti.task_id }}."
    )(failed)
    assert receiver.messages == [{"text": "load of storyblok_traffic failed"}]
    [mail] = smtp.emails
    assert (mail.subject, mail.body.strip()) == (
        "storyblok_traffic failed",
        "<p>storyblok_traffic failed</p>\n<p>Task load.</p>",
    )
