"""Notification channels: a Slack-compatible webhook, email over SMTP, and a generic JSON webhook."""

from __future__ import annotations

from storyblok_traffic.notifiers.channels import FAILURE_TEXT, PipelineFailureNotifier, notifier_for
from storyblok_traffic.notifiers.email import EmailNotifier
from storyblok_traffic.notifiers.json_webhook import JsonWebhookNotifier
from storyblok_traffic.notifiers.slack import SlackWebhookNotifier

__all__ = [
    "FAILURE_TEXT",
    "EmailNotifier",
    "JsonWebhookNotifier",
    "PipelineFailureNotifier",
    "SlackWebhookNotifier",
    "notifier_for",
]
