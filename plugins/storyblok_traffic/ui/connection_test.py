"""The UI's Test button for a saved Storyblok connection: a root middleware of the API server.

The connection form hides the port (a Storyblok connection has none), yet Airflow 3.3's UI sends
``port: 0`` with the masked password when Test is clicked; the API then compares 0 with the stored
port (none), takes it for another destination and refuses to reuse the stored token: 400 "The host
or port to test differs from the stored connection". For the ``storyblok`` type only, this drops
that hidden port from the request, so the stored token is used as for any other test.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TEST_PATH = "/api/v2/connections/test"
CONN_TYPE = "storyblok"


def without_hidden_port(body: bytes) -> bytes:
    """The request body without the port the form hides (0 or empty); any other body as it came."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict) or data.get("conn_type") != CONN_TYPE or data.get("port") not in (0, "", None):
        return body
    data.pop("port", None)
    return json.dumps(data).encode()


class HiddenPortMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope.get("path", "").endswith(TEST_PATH):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        body = without_hidden_port(body)
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        scope = dict(scope, headers=[*headers, (b"content-length", str(len(body)).encode())])
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: the client's disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
