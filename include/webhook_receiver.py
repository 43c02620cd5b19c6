"""A local Slack-compatible webhook receiver: records (and can print) every JSON message posted to it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, echo: bool = False, fail_next: int = 0, delay: float = 0.0
    ) -> None:
        self.messages: list[dict[str, Any]] = []
        self.echo = echo
        self.fail_next = fail_next  # answer 500 to this many posts first
        self.delay = delay  # seconds to wait before answering, like a slow receiver
        self.arrived = threading.Event()  # set by the first post
        self.gate = threading.Event()  # clear it to hold every answer until it is set again
        self.gate.set()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}/hooks/alerts"

    def start(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def texts(self) -> list[str]:
        with self._lock:
            return [str(m.get("text")) for m in self.messages]


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.arrived.set()
            receiver.gate.wait(60)
            time.sleep(receiver.delay)
            with receiver._lock:
                failing = receiver.fail_next > 0
                receiver.fail_next -= 1 if failing else 0
                if not failing:
                    receiver.messages.append(json.loads(body or b"{}"))
            if receiver.echo and not failing:
                print(f"[webhook] {json.loads(body).get('text')}", flush=True)
            answer = b"error" if failing else b"ok"
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
