"""Responses that failed validation, kept aside for diagnosis: never parsed into the traffic tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert

from storyblok_traffic.warehouse.tables import rejected_responses

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from storyblok_traffic.config import Warehouse
    from storyblok_traffic.fetching import Quarantine

MAX_BODY_CHARS = 1_000_000


def quarantine_for(warehouse: Warehouse) -> Quarantine:
    """For ``fetching.fetch_days`` in a task: keeps a rejected answer in the configured warehouse,
    in a transaction of its own (after the schema check every task makes)."""
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    def keep(org: str, first: date, last: date, error: str, body: bytes, received_at: datetime) -> str:
        with warehouse_transaction(warehouse) as conn:
            _insert(conn, org, first, last, error, body, received_at)
        return f"{warehouse.schema}.rejected_responses"

    return keep


def quarantine_in(engine: Engine, schema: str) -> Quarantine:
    """For ``fetching.fetch_days``: keeps a rejected answer in ``schema``, in a transaction of its own."""
    from storyblok_traffic.warehouse.engine import begin

    def keep(org: str, first: date, last: date, error: str, body: bytes, received_at: datetime) -> str:
        with begin(engine, schema) as conn:
            _insert(conn, org, first, last, error, body, received_at)
        return f"{schema}.rejected_responses"

    return keep


def _insert(conn: Connection, org: str, first: date, last: date, error: str, body: bytes, at: datetime) -> None:
    """Store the body (decoded leniently, cut at a million characters) with its error.

    The caller blanks the token in both first (``storyblok_traffic.errors.body_without_secret``).
    """
    text = body.decode("utf-8", "replace")[:MAX_BODY_CHARS]
    row = {"org": org, "received_at": at, "start_date": first, "end_date": last, "error": error, "body": text}
    conn.execute(insert(rejected_responses).values(row))
