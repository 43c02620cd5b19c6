"""Channel senders: one plain class per channel type behind the ``Sender`` protocol.

They carry a rendered ``Message`` over the HTTP and SMTP providers' hooks and raise when the receiver
refuses it; what to send, and to whom, is decided in ``notifications.delivery``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storyblok_traffic.config import ChannelConfig
    from storyblok_traffic.rules.messages import Message

log = logging.getLogger(__name__)

DEFAULT_WEBHOOK_CONN_ID = "storyblok_alerts_webhook"


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class SlackWebhookSender:
    """Posts ``slack_payload`` to a Slack-compatible incoming webhook: the URL in an HTTP connection's host."""

    conn_id: str = DEFAULT_WEBHOOK_CONN_ID
    timeout: float = 10.0

    def send(self, message: Message) -> None:
        post_json(self.conn_id, slack_payload(message), self.timeout)
        log.info("Sent a Slack notification through connection %s", self.conn_id)


@dataclass(frozen=True)
class JsonWebhookSender:
    """Posts ``{"subject", "text", **fields}`` (org, alerts with period, kind, threshold, usage, limit, ...)."""

    conn_id: str
    timeout: float = 10.0

    def send(self, message: Message) -> None:
        post_json(self.conn_id, {"subject": message.subject, "text": message.text, **message.data}, self.timeout)
        log.info("Sent a JSON notification through connection %s", self.conn_id)


@dataclass(frozen=True)
class EmailSender:
    """The subject, and the text as simple HTML (a paragraph per line), through an SMTP connection.

    The connection holds host, port and login; extras such as ``from_email``, ``disable_tls``,
    ``disable_ssl``, ``timeout``, ``retry_limit``. ``from_email`` here overrides the connection's.
    """

    to: tuple[str, ...]
    conn_id: str = "smtp_default"
    from_email: str | None = None

    def send(self, message: Message) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=self.conn_id) as smtp:
            smtp.send_email_smtp(
                to=list(self.to),
                subject=message.subject,
                html_content=to_html(message.text),
                from_email=self.from_email,
            )
        log.info("Sent an email to %d recipient(s) through connection %s", len(self.to), self.conn_id)


def sender_for(channel: ChannelConfig) -> Sender:
    """The sender of a channel's type; a type without one is refused, never sent some other way
    (the configuration refuses it at import already: this guards a caller that built one by hand)."""
    if channel.type == "email":
        return EmailSender(to=channel.recipients, conn_id=channel.conn_id, from_email=channel.from_email)
    if channel.type == "webhook":
        return JsonWebhookSender(conn_id=channel.conn_id)
    if channel.type == "slack":
        return SlackWebhookSender(conn_id=channel.conn_id)
    raise ValueError(f"channel {channel.name!r}: no sender for type {channel.type!r}")


def post_json(conn_id: str, payload: dict[str, Any], timeout: float) -> None:
    """POST ``payload`` to the URL in the host of HTTP connection ``conn_id``; raises unless 2xx."""
    from airflow.providers.http.hooks.http import HttpHook
    from airflow.sdk.log import mask_secret

    hook = HttpHook(method="POST", http_conn_id=conn_id)
    host = hook.get_connection(conn_id).host or ""
    # Slack-style webhook URLs carry their secret in the path.
    if "/" in host.split("://", 1)[-1]:
        mask_secret(host)
    hook.run(
        endpoint=None,
        json=payload,
        headers={"Content-Type": "application/json"},
        extra_options={"timeout": timeout},
    )


# Slack refuses a section block's text beyond 3,000 characters: a long message is cut into several.
SLACK_SECTION_CHARS = 3000


def slack_payload(message: Message) -> dict[str, Any]:
    """``{"text": ...}``; with a link, Block Kit too: the lines in plain-text sections and the link as a
    button, ``text`` staying the notification's and the fallback's (and what a Slack-compatible webhook
    that knows no blocks shows)."""
    if message.link is None:
        return {"text": message.text}
    body = message.text.removesuffix(f"\nDashboard: {message.link}")
    sections: list[str] = []
    for line in body.split("\n"):
        if sections and len(sections[-1]) + 1 + len(line) <= SLACK_SECTION_CHARS:
            sections[-1] += "\n" + line
        else:
            sections.append(line[:SLACK_SECTION_CHARS])
    button = {"type": "button", "text": {"type": "plain_text", "text": "Open the dashboard"}, "url": message.link}
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": part}} for part in sections]
    return {"text": message.text, "blocks": [*blocks, {"type": "actions", "elements": [button]}]}


def to_html(text: str) -> str:
    return "\n".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line)
