"""Schema migrations, applied in order under an advisory lock, each recorded in ``schema_migrations``.

A migration is frozen once released: it defines the tables as they were at that version, so a
fresh database and an upgraded one end up the same. Change a table by adding a migration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import CreateSchema

from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import schema_migrations

# pg_advisory_xact_lock key: concurrent tasks migrating the same database wait for each other.
_LOCK_KEY = 0x5B0B_7AFF


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


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
    # Plain DDL: schema_translate_map only reaches Table objects, so point search_path at the schema.
    schema = conn.get_execution_options()["schema_translate_map"][None]
    conn.exec_driver_sql(f"SET LOCAL search_path TO {conn.dialect.identifier_preparer.quote_schema(schema)}")
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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial tables", _v1_initial),
    Migration(2, "alert kinds (actual, forecast, no data), notices and per-channel deliveries", _v2_alert_kinds),
    Migration(3, "rejected responses kept for diagnosis", _v3_rejected_responses),
)


def migrate(engine: Engine, schema: str) -> list[int]:
    """Bring ``schema`` up to the newest version; returns the versions applied now (idempotent)."""
    with engine.begin() as conn:
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
        conn.execute(CreateSchema(schema, if_not_exists=True))
    applied: list[int] = []
    with begin(engine, schema) as conn:
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
        schema_migrations.create(conn, checkfirst=True)
        done = set(conn.scalars(select(schema_migrations.c.version)))
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            migration.apply(conn)
            conn.execute(
                insert(schema_migrations).values(
                    version=migration.version,
                    description=migration.description,
                    applied_at=datetime.now(UTC),
                )
            )
            applied.append(migration.version)
    return applied


def current_version(engine: Engine, schema: str) -> int:
    with begin(engine, schema) as conn:
        return int(conn.scalar(select(func.coalesce(func.max(schema_migrations.c.version), 0))) or 0)
