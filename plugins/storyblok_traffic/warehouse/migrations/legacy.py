"""The hand-written migrations that came before Alembic, frozen: versions 1 to 3 and their bookkeeping.

Alembic's baseline revision runs them to build today's schema, or to finish one they began: a schema
they migrated records its versions in ``schema_migrations``. Each step defines the tables as they were
at its version and never changes. The caller's connection has ``search_path`` set to the warehouse
schema, so schema-less tables and plain DDL both land there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

# The version table of the hand-written migrations; Alembic's ``alembic_version`` replaces it.
schema_migrations = Table(
    "schema_migrations",
    MetaData(),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)


def _v1_initial(conn: Connection) -> None:
    meta = MetaData()

    def daily(name: str, *key: str) -> None:
        Table(
            name,
            meta,
            Column("org", Text, nullable=False),
            *([Column("space_id", Text, nullable=False)] if "space_id" in key else []),
            Column("day", Date, nullable=False),
            Column("api_requests", BigInteger, nullable=False),
            Column("total_bytes", BigInteger),
            Column("fetched_at", DateTime(timezone=True), nullable=False),
            PrimaryKeyConstraint(*key),
        )

    daily("org_traffic_daily", "org", "day")
    daily("space_traffic_daily", "org", "space_id", "day")
    Table(
        "usage_snapshots",
        meta,
        Column("org", Text, nullable=False),
        Column("as_of", Date, nullable=False),
        Column("monthly_traffic_limit", BigInteger, nullable=False),
        Column("yearly_traffic_limit", BigInteger, nullable=False),
        Column("traffic_used_this_year", BigInteger, nullable=False),
        Column("requests_used_last_7_days", BigInteger),
        Column("fetched_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("org", "as_of"),
    )
    Table(
        "usage_alerts",
        meta,
        Column("org", Text, nullable=False),
        Column("period", Text, nullable=False),
        Column("period_start", Date, nullable=False),
        Column("threshold_pct", Numeric(7, 2), nullable=False),
        Column("crossed_on", Date, nullable=False),
        Column("usage", BigInteger, nullable=False),
        Column("usage_limit", BigInteger, nullable=False),
        Column("status", Text, nullable=False),
        Column("notified_at", DateTime(timezone=True)),
        PrimaryKeyConstraint("org", "period", "period_start", "threshold_pct"),
    )
    Table(
        "raw_responses",
        meta,
        Column("org", Text, nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=False),
        Column("group_by", Text, nullable=False),
        Column("fetched_at", DateTime(timezone=True), nullable=False),
        Column("payload", JSONB, nullable=False),
        PrimaryKeyConstraint("org", "start_date", "end_date", "group_by"),
    )
    meta.create_all(conn)


_V2_ALERTS = """
ALTER TABLE usage_alerts
    ADD COLUMN kind text NOT NULL DEFAULT 'actual',
    ADD COLUMN period_end date,
    ADD COLUMN as_of date,
    ADD COLUMN projected_on date,
    ADD COLUMN notice text NOT NULL DEFAULT 'alarm',
    ADD COLUMN notice_seq integer NOT NULL DEFAULT 1,
    ADD COLUMN evaluated_on date;
UPDATE usage_alerts SET
    as_of = crossed_on,
    evaluated_on = crossed_on,
    period_end = CASE WHEN period = 'year' THEN (period_start + interval '1 year - 1 day')::date END;
ALTER TABLE usage_alerts
    ALTER COLUMN kind DROP DEFAULT,
    ALTER COLUMN notice DROP DEFAULT,
    ALTER COLUMN notice_seq DROP DEFAULT,
    ALTER COLUMN as_of SET NOT NULL,
    ALTER COLUMN evaluated_on SET NOT NULL,
    DROP CONSTRAINT usage_alerts_pkey,
    ADD CONSTRAINT usage_alerts_pkey PRIMARY KEY (org, period, period_start, kind, threshold_pct);
CREATE TABLE alert_deliveries (
    org text NOT NULL,
    period text NOT NULL,
    period_start date NOT NULL,
    kind text NOT NULL,
    threshold_pct numeric(7, 2) NOT NULL,
    notice_seq integer NOT NULL,
    channel text NOT NULL,
    delivered_at timestamp with time zone NOT NULL,
    PRIMARY KEY (org, period, period_start, kind, threshold_pct, notice_seq, channel)
);
"""


def _v2_alert_kinds(conn: Connection) -> None:
    for statement in _V2_ALERTS.split(";"):
        if statement.strip():
            conn.exec_driver_sql(statement)


def _v3_rejected_responses(conn: Connection) -> None:
    Table(
        "rejected_responses",
        MetaData(),
        Column("org", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=False),
        Column("error", Text, nullable=False),
        Column("body", Text, nullable=False),
        PrimaryKeyConstraint("org", "received_at"),
    ).create(conn)


STEPS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "initial tables", _v1_initial),
    (2, "alert kinds (actual, forecast, no data), notices and per-channel deliveries", _v2_alert_kinds),
    (3, "rejected responses kept for diagnosis", _v3_rejected_responses),
)
# Every table version 3 has, in the order they can be dropped.
TABLES = (
    "rejected_responses",
    "alert_deliveries",
    "raw_responses",
    "usage_alerts",
    "usage_snapshots",
    "space_traffic_daily",
    "org_traffic_daily",
)


def versions_done(conn: Connection) -> set[int]:
    """The versions the hand-written migrations recorded; none when they never ran here."""
    if not inspect(conn).has_table(schema_migrations.name):
        return set()
    return set(conn.scalars(select(schema_migrations.c.version)))


def apply(conn: Connection, upto: int = 3, record: bool = True) -> None:
    """Run the steps not yet done, up to ``upto``; ``record`` them as the hand-written code did."""
    done = versions_done(conn)
    if record:
        schema_migrations.create(conn, checkfirst=True)
    for version, description, step in STEPS:
        if version in done or version > upto:
            continue
        step(conn)
        if record:
            conn.execute(
                insert(schema_migrations).values(version=version, description=description, applied_at=datetime.now(UTC))
            )
