"""Checksums of the warehouse tables, to prove that reruns, orders and parallel runs end in the same state.

Columns that record *when* work happened (``fetched_at``, ``notified_at``, ``delivered_at``,
``applied_at``, ``received_at``, ``checked_at``, ``watched_since``) are left out: two correct runs
differ there and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Text, cast, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by

from storyblok_traffic.warehouse.tables import metadata

WHEN_COLUMNS = frozenset(
    {"fetched_at", "notified_at", "delivered_at", "applied_at", "received_at", "checked_at", "watched_since"}
)


# The figures a notice told (as it was sent): a notice told before an older day's data came in keeps what
# it said, so two correct runs whose runs finished in other orders may differ there too.
TOLD_COLUMNS = frozenset({"usage", "usage_limit", "detail", "figures", "as_sent"})


def table_checksums(
    conn: Connection, names: Iterable[str] | None = None, skip: frozenset[str] = frozenset()
) -> dict[str, str]:
    """md5 over each table's rows (as text, sorted) without the time-of-work columns (and ``skip``); empty
    tables give ''."""
    sums = {}
    for name, table in metadata.tables.items():
        if names is not None and name not in names:
            continue
        columns = [c for c in table.columns if c.name not in WHEN_COLUMNS | skip]
        rows = select(cast(tuple_(*columns), Text).label("row_text")).subquery()
        ordered = aggregate_order_by(literal("\n"), rows.c.row_text.collate("C"))
        digest = func.coalesce(func.md5(func.string_agg(rows.c.row_text, ordered)), "")
        sums[name] = str(conn.scalar(select(digest)))
    return sums
