"""A local stand-in for the incident and chat services the monitor posts to, each checking the request
shape its service documents and answering as it does:

- PagerDuty Events API v2: ``POST /v2/enqueue`` (202 ``{"status": "success", "dedup_key": ...}``; an
  invalid event 400 with its errors);
- Opsgenie Alert API: ``POST /v2/alerts`` (create) and ``POST /v2/alerts/{alias}/close?identifierType=alias``
  (202 ``{"result": "Request will be processed", "requestId": ...}``), with ``Authorization: GenieKey ...``;
- a Microsoft Teams Workflows webhook: ``POST /teams`` with an Adaptive Card (202);
- Apprise's ``json://`` service: ``POST /apprise`` (200).

Every accepted request is kept in ``events`` as ``(service, path, body)``; a refused one in ``refused``.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SEVERITIES = ("critical", "error", "warning", "info")


def pagerduty_errors(event: dict[str, Any]) -> list[str]:
    """What the Events API v2 refuses in an event (its documented fields and limits)."""
    errors = []
    if not isinstance(event.get("routing_key"), str) or not event["routing_key"]:
        errors.append("routing_key: required")
    action = event.get("event_action")
    if action not in ("trigger", "acknowledge", "resolve"):
        errors.append(f"event_action: {action!r} is not trigger, acknowledge or resolve")
    key = event.get("dedup_key")
    if action != "trigger" and not isinstance(key, str):
        errors.append("dedup_key: required to acknowledge or resolve")
    if key is not None and (not isinstance(key, str) or len(key) > 255):
        errors.append("dedup_key: a string of at most 255 characters")
    if action == "trigger":
        payload = event.get("payload") or {}
        summary = payload.get("summary")
        if not isinstance(summary, str) or not 0 < len(summary) <= 1024:
            errors.append("payload.summary: required, at most 1024 characters")
        if not payload.get("source"):
            errors.append("payload.source: required")
        if payload.get("severity") not in SEVERITIES:
            errors.append(f"payload.severity: {payload.get('severity')!r} is not one of {', '.join(SEVERITIES)}")
    for link in event.get("links") or []:
        if not isinstance(link, dict) or not str(link.get("href", "")).startswith(("http://", "https://")):
            errors.append(f"links: {link!r} has no href")
    return errors


def opsgenie_errors(body: dict[str, Any], closing: bool) -> list[str]:
    """What the Alert API refuses in a create (or close) request."""
    if closing:
        return [] if isinstance(body, dict) else ["the body must be an object"]
    errors = []
    message = body.get("message")
    if not isinstance(message, str) or not 0 < len(message) <= 130:
        errors.append("message: required, at most 130 characters")
    if len(str(body.get("alias", ""))) > 512:
        errors.append("alias: at most 512 characters")
    if len(str(body.get("description", ""))) > 15000:
        errors.append("description: at most 15000 characters")
    if body.get("priority", "P3") not in ("P1", "P2", "P3", "P4", "P5"):
        errors.append(f"priority: {body.get('priority')!r} is not P1 to P5")
    return errors


def teams_errors(body: dict[str, Any]) -> list[str]:
    """The Adaptive Card schema's required fields, as a Workflows webhook's message carries the card."""
    errors = []
    if body.get("type") != "message":
        errors.append("type: must be 'message'")
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return [*errors, "attachments: one Adaptive Card required"]
    for attachment in attachments:
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            errors.append(f"contentType: {attachment.get('contentType')!r}")
        card = attachment.get("content") or {}
        if card.get("type") != "AdaptiveCard":
            errors.append("content.type: must be 'AdaptiveCard'")
        if not isinstance(card.get("version"), str):
            errors.append("content.version: required (a string such as '1.4')")
        for element in card.get("body", []):
            if element.get("type") == "TextBlock" and not isinstance(element.get("text"), str):
                errors.append("TextBlock.text: required")
            elif "type" not in element:
                errors.append(f"body element {element!r}: type required")
        for action in card.get("actions", []):
            if action.get("type") == "Action.OpenUrl" and not str(action.get("url", "")).startswith("http"):
                errors.append("Action.OpenUrl.url: required")
    return errors


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate for ``host``, signed by itself, and its key: what PagerDuty's client needs (it
    takes https:// only) from a local receiver. The certificate is also the CA a client trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=400))  # a benchmark replays last year's days at their own time
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "receiver.pem", directory / "receiver.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class IncidentReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, echo: bool = False, tls: Path | None = None) -> None:
        """``tls``: a directory for a self-signed certificate: the receiver answers https:// then, and
        ``ca_file`` is what a client must trust."""
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.refused: list[tuple[str, list[str]]] = []
        self.echo = echo
        self.fail_next = 0  # answer 503 to this many requests first (a service that is down)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self.ca_file: Path | None = None
        if tls is not None:
            self.ca_file, key_file = self_signed(tls, host)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.ca_file, key_file)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"{'https' if self.ca_file else 'http'}://{host}:{port}"

    def start(self) -> IncidentReceiver:
        threading.Thread(target=self.server.serve_forever, name="incident-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of(self, service: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for s, _, body in self.events if s == service]

    def answer(self, service: str, path: str, body: dict[str, Any], headers: Any) -> tuple[int, dict[str, Any]]:
        """The service's answer to a request, and the request kept when it is accepted."""
        errors: list[str] = []
        if service == "pagerduty":
            errors = pagerduty_errors(body)
        elif service == "opsgenie":
            if not str(headers.get("Authorization", "")).startswith("GenieKey "):
                return 401, {"message": "Could not authenticate"}
            errors = opsgenie_errors(body, closing=path.endswith("/close"))
        elif service == "teams":
            errors = teams_errors(body)
        with self._lock:
            if errors:
                self.refused.append((service, errors))
                return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
            self.events.append((service, path, body))
        if self.echo:
            print(f"[{service}] {_said(service, path, body)}", flush=True)
        if service == "pagerduty":
            return 202, {"status": "success", "message": "Event processed", "dedup_key": body.get("dedup_key")}
        if service == "opsgenie":
            return 202, {"result": "Request will be processed", "took": 0.01, "requestId": str(uuid.uuid4())}
        return (202 if service == "teams" else 200), {}


def _said(service: str, path: str, body: dict[str, Any]) -> str:
    """One console line per request: what a person on call would see arrive."""
    if service == "pagerduty":
        summary = (body.get("payload") or {}).get("summary", "")
        return f"{body.get('event_action')} {body.get('dedup_key')}: {summary}".rstrip(": ")
    if service == "opsgenie":
        return (
            f"close {path.split('/')[3]}"
            if path.endswith("/close")
            else f"alert {body.get('alias')}: {body.get('message')}"
        )
    if service == "teams":
        card = body["attachments"][0]["content"]
        return str(card["body"][0]["text"])
    return str(body.get("title") or body.get("message"))


_SERVICES = {"/v2/enqueue": "pagerduty", "/v2/alerts": "opsgenie", "/teams": "teams", "/apprise": "apprise"}


def _handler_for(receiver: IncidentReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urlsplit(self.path).path
            service = next((s for prefix, s in _SERVICES.items() if path.startswith(prefix)), None)
            if path.endswith("/close") and parse_qs(urlsplit(self.path).query).get("identifierType") != ["alias"]:
                service = None  # the monitor closes by alias only
            with receiver._lock:
                down = receiver.fail_next > 0
                receiver.fail_next -= 1 if down else 0
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if down:
                status, answer = 503, {"message": "unavailable"}
            elif service is None or not isinstance(body, dict):
                status, answer = 404 if service is None else 400, {"message": "not a request this service takes"}
            else:
                status, answer = receiver.answer(service, path, body, self.headers)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
