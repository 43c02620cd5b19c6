"""SlackWebhookNotifier: a Slack-compatible incoming webhook (``{"text": ...}``), through the HTTP provider."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseNotifier

from storyblok_traffic.messages import Message
from storyblok_traffic.notifiers.http import post_json

DEFAULT_WEBHOOK_CONN_ID = "storyblok_alerts_webhook"


class SlackWebhookNotifier(BaseNotifier):
    """Posts ``{"text": text}`` to the URL in the ``host`` of an HTTP connection.

    :param text: the message; templated.
    :param webhook_conn_id: HTTP connection whose host is the full webhook URL.
    :param timeout: seconds for connecting and for reading the answer.
    """

    template_fields: Sequence[str] = ("text", "webhook_conn_id")

    def __init__(
        self, *, text: str = "", webhook_conn_id: str = DEFAULT_WEBHOOK_CONN_ID, timeout: float = 10.0
    ) -> None:
        super().__init__()
        self.text = text
        self.webhook_conn_id = webhook_conn_id
        self.timeout = timeout

    def notify(self, context: Any) -> None:
        self.send(Message(subject=self.text.split("\n", 1)[0], text=self.text))

    def send(self, message: Message) -> None:
        """Deliver ``message``; raises when the webhook does not answer 2xx."""
        post_json(self.webhook_conn_id, {"text": message.text}, self.timeout)
        self.log.info("Sent a Slack notification through connection %s", self.webhook_conn_id)
