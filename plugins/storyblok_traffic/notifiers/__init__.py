"""Notification channels: a Slack-compatible webhook, email over SMTP, and a generic JSON webhook.

Names resolve on first use, so that a DAG file importing one notifier does not load them all.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storyblok_traffic.notifiers.channels import FAILURE_TEXT, PipelineFailureNotifier, notifier_for
    from storyblok_traffic.notifiers.email import EmailNotifier
    from storyblok_traffic.notifiers.json_webhook import JsonWebhookNotifier
    from storyblok_traffic.notifiers.slack import SlackWebhookNotifier

_WHERE = {
    "FAILURE_TEXT": "channels",
    "PipelineFailureNotifier": "channels",
    "notifier_for": "channels",
    "EmailNotifier": "email",
    "JsonWebhookNotifier": "json_webhook",
    "SlackWebhookNotifier": "slack",
}

__all__ = [
    "FAILURE_TEXT",
    "EmailNotifier",
    "JsonWebhookNotifier",
    "PipelineFailureNotifier",
    "SlackWebhookNotifier",
    "notifier_for",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
