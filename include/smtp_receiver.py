"""A local SMTP server (aiosmtpd) that keeps every email it is sent, for tests and the dev stack."""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from include.net import free_port

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


@dataclass(frozen=True)
class Email:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str  # the HTML part's text
    raw: bytes = b""  # the message as received
    inline: dict[str, bytes] = field(default_factory=dict)  # Content-ID (without <>) -> the part's bytes

    def as_page(self) -> str:
        """The HTML part with each ``cid:`` image inside it (a data URI), as a mail client shows it: a
        file a browser opens."""
        page = self.body
        for cid, data in self.inline.items():
            page = page.replace(f"cid:{cid}", f"data:image/png;base64,{base64.b64encode(data).decode()}")
        return page


class SmtpReceiver:
    """Accepts mail on ``host:port`` (a free port by default); ``fail_next`` refuses that many messages."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        fail_next: int = 0,
        echo: bool = False,
        pages: Path | None = None,
    ) -> None:
        self.emails: list[Email] = []
        self.fail_next = fail_next
        self.echo = echo
        self.pages = pages  # each email with images is also written there as an HTML page (``Email.as_page``)
        self._lock = threading.Lock()
        self.host = host
        self.port = port or free_port(host)
        self._controller = Controller(self, hostname=host, port=self.port)

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "451 Requested action aborted: local error in processing"
            email = _parse(envelope)
            self.emails.append(email)
        self._keep(email)
        if self.echo:
            print(f"[email to {', '.join(email.recipients)}] {email.subject}", flush=True)
        return "250 Message accepted for delivery"

    def _keep(self, email: Email) -> Path | None:
        if self.pages is None or not email.inline:
            return None
        self.pages.mkdir(parents=True, exist_ok=True)
        path = self.pages / f"{len(list(self.pages.glob('*.html'))) + 1:03d}.html"
        path.write_text(email.as_page())
        return path

    def subjects(self) -> list[str]:
        with self._lock:
            return [e.subject for e in self.emails]


def _parse(envelope: Envelope) -> Email:
    content: Any = envelope.content
    message = message_from_bytes(content if isinstance(content, bytes) else content.encode(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html", "plain"))
    # The body's line ends as a mail client reads them: quoted-printable (which Apprise makes Python's
    # email package use for UTF-8, once imported in the process) keeps the wire's CRLF, base64 does not.
    body = part.get_content().replace("\r\n", "\n") if part is not None else ""
    inline = {
        str(p["Content-ID"]).strip("<>"): bytes(p.get_payload(decode=True))
        for p in message.walk()
        if p["Content-ID"] is not None and not p.is_multipart()
    }
    return Email(
        sender=str(envelope.mail_from),
        recipients=tuple(envelope.rcpt_tos),
        subject=str(message["Subject"]),
        body=body,
        raw=bytes(content if isinstance(content, bytes) else content.encode()),
        inline=inline,
    )
