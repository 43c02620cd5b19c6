"""JSON over HTTP POST through the HTTP provider, the URL kept out of logs."""

from __future__ import annotations

from typing import Any


def post_json(conn_id: str, payload: dict[str, Any], timeout: float) -> None:
    """POST ``payload`` to the URL in the ``host`` of HTTP connection ``conn_id``; raises unless 2xx."""
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
