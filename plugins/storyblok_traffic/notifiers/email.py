"""EmailNotifier: alert emails through the SMTP provider's connection."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from airflow.sdk import BaseNotifier

from storyblok_traffic.messages import Message


class EmailNotifier(BaseNotifier):
    """Sends ``subject`` and ``text`` (as simple HTML, one paragraph per line) to ``to``.

    :param to: recipients.
    :param smtp_conn_id: SMTP connection (host, port, login; extras such as ``from_email``,
        ``disable_tls``, ``disable_ssl``, ``timeout``, ``retry_limit``).
    :param from_email: sender; defaults to the connection's ``from_email``.
    """

    template_fields: Sequence[str] = ("subject", "text", "to", "smtp_conn_id")

    def __init__(
        self,
        *,
        to: Sequence[str],
        smtp_conn_id: str = "smtp_default",
        subject: str = "",
        text: str = "",
        from_email: str | None = None,
    ) -> None:
        super().__init__()
        self.to = list(to)
        self.smtp_conn_id = smtp_conn_id
        self.subject = subject
        self.text = text
        self.from_email = from_email

    def notify(self, context: Any) -> None:
        self.send(Message(subject=self.subject or self.text.split("\n", 1)[0], text=self.text))

    def send(self, message: Message) -> None:
        """Deliver ``message``; raises when the server refuses it."""
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=self.smtp_conn_id) as smtp:
            smtp.send_email_smtp(
                to=self.to,
                subject=message.subject,
                html_content=to_html(message.text),
                from_email=self.from_email,
            )
        self.log.info("Sent an email to %d recipient(s) through connection %s", len(self.to), self.smtp_conn_id)


def to_html(text: str) -> str:
    return "\n".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line)
