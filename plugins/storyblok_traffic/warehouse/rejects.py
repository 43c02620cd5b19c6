"""Responses that failed validation, kept aside for diagnosis: never parsed into the traffic tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert

from storyblok_traffic.warehouse.tables import rejected_responses

MAX_BODY_CHARS = 1_000_000


def keep_rejected(
    conn_id: str,
    schema: str,
    org: str,
    first: date,
    last: date,
    error: str,
    body: bytes,
    received_at: datetime,
) -> None:
    """Store the body (decoded leniently, cut at a million characters) with its error.

    The caller blanks the token in both first (``storyblok_traffic.errors.body_without_secret``).
    """
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    text = body.decode("utf-8", "replace")[:MAX_BODY_CHARS]
    row = {
        "org": org,
        "received_at": received_at,
        "start_date": first,
        "end_date": last,
        "error": error,
        "body": text,
    }
    with warehouse_transaction(conn_id, schema) as conn:
        conn.execute(insert(rejected_responses).values(row))
