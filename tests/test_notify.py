"""Threshold notifications: once per threshold, retries resend nothing, failures keep the alert pending."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.notifiers import FAILURE_TEXT, WebhookNotifier
from storyblok_traffic.tasks import check_usage, notify_threshold_crossed
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import usage_alerts
from tests.test_usage import _seed

ORG = OrgConfig(conn_id="sb", org="acme")


@pytest.fixture
def crossed(engine, schema, warehouse_conn):
    """acme at 80 % of its yearly limit on 2026-06-02: 50 % and 75 % crossed, both on that day."""
    _seed(engine, schema, "acme", {date(2026, 6, 1): 300, date(2026, 6, 2): 660}, 100, date(2026, 6, 2))
    config = MonitorConfig(warehouse_schema=schema)
    return config, check_usage(date(2026, 6, 2), ORG, config)


def statuses(engine, schema) -> list[tuple[float, str, bool]]:
    with begin(engine, schema) as conn:
        rows = conn.execute(select(usage_alerts.c.threshold_pct, usage_alerts.c.status, usage_alerts.c.notified_at))
        return [(float(t), s, at is not None) for t, s, at in rows]


def test_one_message_names_the_highest_and_both_are_recorded(crossed, receiver, engine, schema):
    config, summary = crossed
    assert summary.to_notify == (50.0, 75.0)
    assert notify_threshold_crossed(summary.to_xcom(), ORG, config, {}) == 2
    assert receiver.texts() == [
        "Storyblok traffic: acme has used 80.0% of its yearly limit (960 of 1,200 requests) as of 2026-06-02. "
        "It crossed the 75% threshold on 2026-06-02. Also crossed: 50%."
    ]
    assert statuses(engine, schema) == [(50.0, "sent", True), (75.0, "sent", True)]


def test_a_retry_or_rerun_sends_nothing_more(crossed, receiver):
    config, summary = crossed
    notify_threshold_crossed(summary.to_xcom(), ORG, config, {})
    assert notify_threshold_crossed(summary.to_xcom(), ORG, config, {}) == 0
    again = check_usage(date(2026, 6, 2), ORG, config)
    assert again.to_notify == ()
    assert len(receiver.messages) == 1


def test_a_failed_delivery_keeps_the_alerts_pending(crossed, receiver, engine, schema):
    config, summary = crossed
    receiver.fail_next = 1
    with pytest.raises(Exception, match="500"):
        notify_threshold_crossed(summary.to_xcom(), ORG, config, {})
    assert statuses(engine, schema) == [(50.0, "pending", False), (75.0, "pending", False)]
    assert notify_threshold_crossed(summary.to_xcom(), ORG, config, {}) == 2
    assert len(receiver.messages) == 1


def test_notifier_posts_rendered_text_as_json(receiver):
    from airflow.sdk import DAG

    notifier = WebhookNotifier(text=FAILURE_TEXT)
    notifier(
        {
            "dag": DAG("storyblok_traffic", schedule=None),
            "run_id": "scheduled__2026-06-02",
            "reason": "task_failure",
        }
    )
    assert receiver.messages == [
        {"text": "Storyblok traffic pipeline storyblok_traffic failed in run scheduled__2026-06-02: task_failure"}
    ]


def test_notifier_raises_when_the_webhook_fails(receiver):
    receiver.fail_next = 1
    with pytest.raises(Exception, match="500"):
        WebhookNotifier(text="hello").send("hello")
