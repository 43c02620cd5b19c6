"""JsonWebhookNotifier: the structured alert fields as one JSON document, for any HTTP receiver."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseNotifier

from storyblok_traffic.messages import Message
from storyblok_traffic.notifiers.http import post_json


class JsonWebhookNotifier(BaseNotifier):
    """Posts ``{"subject", "text", **fields}`` (org, alerts with period, kind, threshold, usage, limit, ...).

    :param text: the message when used as a callback; templated.
    :param webhook_conn_id: HTTP connection whose host is the receiver's URL.
    :param timeout: seconds for connecting and for reading the answer.
    """

    template_fields: Sequence[str] = ("text", "webhook_conn_id")

    def __init__(self, *, webhook_conn_id: str, text: str = "", timeout: float = 10.0) -> None:
        super().__init__()
        self.text = text
        self.webhook_conn_id = webhook_conn_id
        self.timeout = timeout

    def notify(self, context: Any) -> None:
        self.send(Message(subject=self.text.split("\n", 1)[0], text=self.text, data={"event": "notification"}))

    def send(self, message: Message) -> None:
        """Deliver ``message``; raises when the receiver does not answer 2xx."""
        post_json(
            self.webhook_conn_id, {"subject": message.subject, "text": message.text, **message.data}, self.timeout
        )
        self.log.info("Sent a JSON notification through connection %s", self.webhook_conn_id)
