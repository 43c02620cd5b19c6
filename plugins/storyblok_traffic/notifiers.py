"""WebhookNotifier: a Slack-compatible incoming webhook, through the HTTP provider.

Also the DAG's failure callback: ``on_failure_callback=WebhookNotifier(text=FAILURE_TEXT)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseNotifier

DEFAULT_WEBHOOK_CONN_ID = "storyblok_alerts_webhook"
FAILURE_TEXT = "Storyblok traffic pipeline {{ dag.dag_id }} failed in run {{ run_id }}: {{ reason }}"


class WebhookNotifier(BaseNotifier):
    """Posts ``{"text": text}`` as JSON to the URL in the ``host`` of an HTTP connection.

    :param text: the message; templated.
    :param webhook_conn_id: HTTP connection whose host is the full webhook URL.
    :param timeout: seconds for connecting and for reading the answer.
    """

    template_fields: Sequence[str] = ("text", "webhook_conn_id")

    def __init__(self, *, text: str, webhook_conn_id: str = DEFAULT_WEBHOOK_CONN_ID, timeout: float = 10.0) -> None:
        super().__init__()
        self.text = text
        self.webhook_conn_id = webhook_conn_id
        self.timeout = timeout

    def notify(self, context: Any) -> None:
        self.send(self.text)

    def send(self, text: str) -> None:
        """Deliver ``text``; raises when the webhook does not answer 2xx."""
        from airflow.providers.http.hooks.http import HttpHook
        from airflow.sdk.log import mask_secret

        hook = HttpHook(method="POST", http_conn_id=self.webhook_conn_id)
        host = hook.get_connection(self.webhook_conn_id).host or ""
        # Slack-style webhook URLs carry their secret in the path: keep the URL out of logs.
        if "/" in host.split("://", 1)[-1]:
            mask_secret(host)
        hook.run(
            endpoint=None,
            json={"text": text},
            headers={"Content-Type": "application/json"},
            extra_options={"timeout": self.timeout},
        )
        self.log.info("Sent notification through connection %s", self.webhook_conn_id)
