"""Responses that failed validation, kept aside for diagnosis: never parsed into the traffic tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert

from storyblok_traffic.warehouse.tables import rejected_responses

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from sqlalchemy import Connection

    from storyblok_traffic.fetching import Quarantine

MAX_BODY_CHARS = 1_000_000


def quarantine(transaction: Callable[[], AbstractContextManager[Connection]], schema: str) -> Quarantine:
    """For ``fetching.fetch_days``: keeps a rejected answer in ``schema``, in a ``transaction()`` of its own.

    A task passes ``warehouse_transaction`` (the schema check every task makes), the backfill's load
    its engine's ``begin``.
    """

    def keep(org: str, endpoint: str, first: date, last: date, error: str, body: bytes, received_at: datetime) -> str:
        with transaction() as conn:
            _insert(conn, org, endpoint, first, last, error, body, received_at)
        return f"{schema}.rejected_responses"

    return keep


def _insert(
    conn: Connection, org: str, endpoint: str, first: date, last: date, error: str, body: bytes, at: datetime
) -> None:
    """Store the body (decoded leniently, cut at a million characters) with its error.

    The caller blanks the token in both first (``storyblok_traffic.errors.body_without_secret``).
    """
    text = body.decode("utf-8", "replace")[:MAX_BODY_CHARS]
    row = {"org": org, "endpoint": endpoint, "received_at": at, "start_date": first, "end_date": last}
    conn.execute(insert(rejected_responses).values(row | {"error": error, "body": text}))
