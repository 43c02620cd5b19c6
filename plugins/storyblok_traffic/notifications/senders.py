"""The channels as Airflow notifiers: one ``BaseNotifier`` per channel type (listed in the provider
info), so that a DAG of your own can use them too (``on_failure_callback=SlackChannelNotifier(...)``).

The monitor's delivery sends rendered ``Message``s through ``send``, over the HTTP and SMTP providers'
hooks, raising when the receiver refuses one; what to send, and to whom, is decided in
``notifications.delivery``. In your own DAG, ``notify`` (Airflow calls it) sends ``text``, templated.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from storyblok_traffic.rules.messages import INCIDENT_SOURCE

if TYPE_CHECKING:
    from storyblok_traffic.config import ChannelConfig
    from storyblok_traffic.rules.messages import IncidentEvent, Message

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
        import tempfile
        from pathlib import Path

        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with (
            tempfile.TemporaryDirectory(prefix="storyblok-mail-") as folder,
            SmtpHook(smtp_conn_id=self.conn_id) as smtp,
        ):
            # The hook attaches files by path, each with its name as Content-ID: the HTML shows it by cid:<name>.
            files = [Path(folder, name) for name, _ in message.images]
            for path, (_, data) in zip(files, message.images, strict=True):
                path.write_bytes(data)
            smtp.send_email_smtp(
                to=list(self.to),
                subject=message.subject,
                html_content=message.html or to_html(message.text),
                from_email=self.from_email,
                files=[str(p) for p in files] or None,
                mime_subtype="related" if files else "mixed",  # related: the HTML and the images it shows
            )
        log.info("Sent an email to %d recipient(s) through connection %s", len(self.to), self.conn_id)


class PagerDutyChannelNotifier(ChannelNotifier):
    """PagerDuty's Events API v2 through the pagerduty provider: an alarm triggers (or updates) the incident
    of its alert row, its clear resolves it (one ``dedup_key`` per row); the connection's password is the
    integration (routing) key, its host, when set, the Events API's https:// address (another region, a
    proxy), and its extra ``ca_bundle`` the CA certificate to trust there (a proxy's own)."""

    def __init__(self, *, conn_id: str = "pagerduty_events_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id

    def send(self, message: Message) -> None:
        import pagerduty
        from airflow.providers.pagerduty.hooks.pagerduty_events import PagerdutyEventsHook, prepare_event_data

        event = incident_of(message)
        hook = PagerdutyEventsHook(pagerduty_events_conn_id=self.conn_id)
        data = prepare_event_data(
            summary=message.subject[:1024],  # the Events API's limit
            severity=event.severity,
            source=INCIDENT_SOURCE,
            custom_details={"text": message.text, **message.data},
            action="resolve" if event.resolve else "trigger",
            dedup_key=event.key,
            links=[{"href": message.link, "text": "Open the dashboard"}] if message.link else None,
        )
        # The hook's send_event builds the client without the connection's host: built here with it.
        conn = hook.get_connection(self.conn_id)
        verify = conn.extra_dejson.get("ca_bundle") or True
        client = pagerduty.EventsApiV2Client(hook.integration_key, base_url=conn.host or None, verify=verify)
        client.send_event(**data)
        log.info("Sent a PagerDuty %s for %s through connection %s", data["action"], event.key, self.conn_id)


class OpsgenieChannelNotifier(ChannelNotifier):
    """Opsgenie alerts through the opsgenie provider: an alarm creates the alert of its row (its alias: one
    per row, so a repeat is deduplicated), its clear closes it by that alias. The connection's password
    is the API key, its host the API's address (default https://api.opsgenie.com; EU: api.eu.opsgenie.com)."""

    def __init__(self, *, conn_id: str = "opsgenie_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id

    def send(self, message: Message) -> None:
        from airflow.providers.opsgenie.hooks.opsgenie import OpsgenieAlertHook

        event, hook = incident_of(message), OpsgenieAlertHook(opsgenie_conn_id=self.conn_id)
        if event.resolve:
            hook.close_alert(
                event.key, identifier_type="alias", payload={"source": INCIDENT_SOURCE, "note": message.text}
            )
        else:
            hook.create_alert(
                {
                    "message": message.subject[:130],  # Opsgenie's limits: 130 and 15,000 characters
                    "alias": event.key,
                    "description": message.text[:15000],
                    "priority": OPSGENIE_PRIORITY[event.severity],
                    "source": INCIDENT_SOURCE,
                    "tags": [INCIDENT_SOURCE],
                    "details": {"url": message.link} if message.link else {},
                }
            )
        log.info("Sent an Opsgenie %s for %s", "close" if event.resolve else "alert", event.key)


class TeamsChannelNotifier(ChannelNotifier):
    """An Adaptive Card (``teams_card``) to a Microsoft Teams Workflows webhook: the URL in an HTTP
    connection's host. (Teams' Office 365 connectors are retired; Teams has no Airflow provider.)"""

    def __init__(self, *, conn_id: str, timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id, self.timeout = conn_id, timeout

    def send(self, message: Message) -> None:
        post_json(self.conn_id, teams_card(message), self.timeout)
        log.info("Sent a Teams card through connection %s", self.conn_id)


class AppriseChannelNotifier(ChannelNotifier):
    """Any service Apprise knows (its URLs in an Apprise connection's ``config``), through the apprise
    provider's connection."""

    def __init__(self, *, conn_id: str = "apprise_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id

    def send(self, message: Message) -> None:
        import apprise
        from airflow.providers.apprise.hooks.apprise import AppriseHook

        hook = AppriseHook(apprise_conn_id=self.conn_id)
        services = apprise.Apprise()
        hook.set_config_from_conn(hook.get_connection(self.conn_id), services)
        # The hook's notify drops Apprise's answer: a refused notice would count as delivered. Asked here.
        kind = apprise.NotifyType.FAILURE if incident_of(message).severity == "critical" else apprise.NotifyType.INFO
        if not services.notify(body=message.text, title=message.subject, notify_type=kind):
            raise RuntimeError(f"Apprise did not deliver through connection {self.conn_id} (see its log above)")
        log.info("Sent an Apprise notification through connection %s", self.conn_id)


OPSGENIE_PRIORITY = {"critical": "P1", "warning": "P3", "info": "P5"}


def incident_of(message: Message) -> IncidentEvent:
    """The message's incident; a message of your own DAG has none: one incident per subject, critical."""
    from storyblok_traffic.rules.messages import IncidentEvent

    if message.incident is not None:
        return message.incident
    digest = hashlib.sha256(message.subject.encode()).hexdigest()[:16]
    return IncidentEvent.of(False, "critical", "message", digest)


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


def sent(channel: ChannelConfig, message: Message, failures: dict[str, str], what: str) -> bool:
    """``message`` (``what`` it carries, for the log) to ``channel``; False, with why in ``failures``, when the
    channel refused it: one channel's failure must not stop the others, nor the ledger of those that took it."""
    try:
        sender_for(channel).send(message)
    except Exception as err:  # any channel's failure must not stop the others
        log.error("Channel %s did not take %s: %s", channel.name, what, err)
        failures[channel.name] = str(err) or type(err).__name__
        return False
    return True


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
    if channel.type == "pagerduty":
        return PagerDutyChannelNotifier(conn_id=channel.conn_id)
    if channel.type == "opsgenie":
        return OpsgenieChannelNotifier(conn_id=channel.conn_id)
    if channel.type == "teams":
        return TeamsChannelNotifier(conn_id=channel.conn_id)
    if channel.type == "apprise":
        return AppriseChannelNotifier(conn_id=channel.conn_id)
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


def teams_card(message: Message) -> dict[str, Any]:
    """The Workflows webhook's message: one Adaptive Card (1.4), the subject in bold, a text block per
    line, the link as an Action.OpenUrl button."""
    body = message.text.removesuffix(f"\nDashboard: {message.link}") if message.link else message.text
    head, *lines = body.split("\n")
    blocks = [{"type": "TextBlock", "text": head, "weight": "Bolder", "size": "Medium", "wrap": True}]
    blocks += [{"type": "TextBlock", "text": line, "wrap": True} for line in lines if line]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": blocks,
    }
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the dashboard", "url": message.link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def to_html(text: str) -> str:
    return "\n".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line)
