"""The channels as Airflow notifiers: one ``BaseNotifier`` per channel type (listed in the provider
info), so that a DAG of your own can use them too (``on_failure_callback=SlackChannelNotifier(...)``).

The monitor's delivery sends rendered ``Message``s through ``send``, over the HTTP and SMTP providers'
hooks, raising when the receiver refuses one; what to send, and to whom, is decided in
``notifications.delivery``. In your own DAG, ``notify`` (Airflow calls it) sends ``text``, templated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

if TYPE_CHECKING:
    from storyblok_traffic.config import ChannelConfig
    from storyblok_traffic.rules.messages import Message

log = logging.getLogger(__name__)

DEFAULT_WEBHOOK_CONN_ID = "storyblok_alerts_webhook"


class ChannelNotifier(BaseNotifier):
    """A channel of the monitor. ``text`` and ``subject`` are templated (Airflow's context); the subject
    defaults to the text's first line."""

    template_fields: Sequence[str] = ("subject", "text")

    def __init__(self, *, text: str = "", subject: str = "") -> None:
        super().__init__()
        self.text = text
        self.subject = subject

    def notify(self, context: Any) -> None:
        from storyblok_traffic.rules.messages import Message

        # As the monitor's own messages: the subject, then the lines.
        text = f"{self.subject}\n{self.text}" if self.subject else self.text
        self.send(Message(subject=self.subject or text.split("\n", 1)[0], text=text))

    def send(self, message: Message) -> None:
        raise NotImplementedError


class SlackChannelNotifier(ChannelNotifier):
    """Posts ``slack_payload`` to a Slack-compatible incoming webhook: the URL in an HTTP connection's host."""

    def __init__(self, *, conn_id: str = DEFAULT_WEBHOOK_CONN_ID, timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id, self.timeout = conn_id, timeout

    def send(self, message: Message) -> None:
        post_json(self.conn_id, slack_payload(message), self.timeout)
        log.info("Sent a Slack notification through connection %s", self.conn_id)


class WebhookChannelNotifier(ChannelNotifier):
    """Posts ``{"subject", "text", **fields}`` (org, alerts with id, period, kind, threshold, usage, ...)."""

    def __init__(self, *, conn_id: str, timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id, self.timeout = conn_id, timeout

    def send(self, message: Message) -> None:
        post_json(self.conn_id, {"subject": message.subject, "text": message.text, **message.data}, self.timeout)
        log.info("Sent a JSON notification through connection %s", self.conn_id)


class EmailChannelNotifier(ChannelNotifier):
    """The subject, and the text as simple HTML (a paragraph per line), through an SMTP connection.

    The connection holds host, port and login; extras such as ``from_email``, ``disable_tls``,
    ``disable_ssl``, ``timeout``, ``retry_limit``. ``from_email`` here overrides the connection's.
    """

    def __init__(
        self, *, to: Sequence[str], conn_id: str = "smtp_default", from_email: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.to, self.conn_id, self.from_email = tuple(to), conn_id, from_email

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


def send_to_all(channels: Sequence[ChannelConfig], message: Message) -> dict[str, str]:
    """``message`` to every channel; each one that refused, with why (one's failure stops no other)."""
    failures = {}
    for channel in channels:
        try:
            sender_for(channel).send(message)
        except Exception as err:  # any channel's failure must not stop the others
            log.exception("Channel %s did not take %r", channel.name, message.subject)
            failures[channel.name] = str(err) or type(err).__name__
    return failures


def refusals(failures: Mapping[str, str]) -> str:
    """``slack: 500 Server Error; email: ...``: the channels that refused, each with why (for an error)."""
    return "; ".join(f"{channel}: {error}" for channel, error in failures.items())


def sender_for(channel: ChannelConfig) -> ChannelNotifier:
    """The sender of a channel's type; a type without one is refused, never sent some other way
    (the configuration refuses it at import already: this guards a caller that built one by hand)."""
    if channel.type == "email":
        return EmailChannelNotifier(to=channel.recipients, conn_id=channel.conn_id, from_email=channel.from_email)
    if channel.type == "webhook":
        return WebhookChannelNotifier(conn_id=channel.conn_id)
    if channel.type == "slack":
        return SlackChannelNotifier(conn_id=channel.conn_id)
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
