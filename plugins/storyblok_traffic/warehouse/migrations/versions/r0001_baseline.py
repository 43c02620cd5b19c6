"""Baseline: the warehouse's first tables (traffic by day, limits, alerts and their deliveries, answers).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import BigInteger, Column, Date, DateTime, Integer, Numeric, PrimaryKeyConstraint, Text
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# In the order they can be dropped.
TABLES = (
    "rejected_responses",
    "alert_deliveries",
    "raw_responses",
    "usage_alerts",
    "usage_snapshots",
    "space_traffic_daily",
    "org_traffic_daily",
)


def _daily(name: str, *key: str) -> None:
    op.create_table(
        name,
        Column("org", Text, nullable=False),
        *([Column("space_id", Text, nullable=False)] if "space_id" in key else []),
        Column("day", Date, nullable=False),
        Column("api_requests", BigInteger, nullable=False),
        Column("total_bytes", BigInteger),
        Column("fetched_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint(*key),
    )


def upgrade() -> None:
    _daily("org_traffic_daily", "org", "day")
    _daily("space_traffic_daily", "org", "space_id", "day")
    op.create_table(
        "usage_snapshots",
        Column("org", Text, nullable=False),
        Column("as_of", Date, nullable=False),
        Column("monthly_traffic_limit", BigInteger, nullable=False),
        Column("yearly_traffic_limit", BigInteger, nullable=False),
        Column("traffic_used_this_year", BigInteger, nullable=False),
        Column("requests_used_last_7_days", BigInteger),
        Column("fetched_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("org", "as_of"),
    )
    op.create_table(
        "usage_alerts",
        Column("org", Text, nullable=False),
        Column("period", Text, nullable=False),
        Column("period_start", Date, nullable=False),
        Column("threshold_pct", Numeric(7, 2), nullable=False),
        Column("crossed_on", Date, nullable=False),
        Column("usage", BigInteger, nullable=False),
        Column("usage_limit", BigInteger, nullable=False),
        Column("status", Text, nullable=False),
        Column("notified_at", DateTime(timezone=True)),
        Column("kind", Text, nullable=False),
        Column("period_end", Date),
        Column("as_of", Date, nullable=False),
        Column("projected_on", Date),
        Column("notice", Text, nullable=False),
        Column("notice_seq", Integer, nullable=False),
        Column("evaluated_on", Date, nullable=False),
        PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct"),
    )
    op.create_table(
        "raw_responses",
        Column("org", Text, nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=False),
        Column("group_by", Text, nullable=False),
        Column("fetched_at", DateTime(timezone=True), nullable=False),
        Column("payload", JSONB, nullable=False),
        PrimaryKeyConstraint("org", "start_date", "end_date", "group_by"),
    )
    op.create_table(
        "alert_deliveries",
        Column("org", Text, nullable=False),
        Column("period", Text, nullable=False),
        Column("period_start", Date, nullable=False),
        Column("kind", Text, nullable=False),
        Column("threshold_pct", Numeric(7, 2), nullable=False),
        Column("notice_seq", Integer, nullable=False),
        Column("channel", Text, nullable=False),
        Column("delivered_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct", "notice_seq", "channel"),
    )
    op.create_table(
        "rejected_responses",
        Column("org", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=False),
        Column("error", Text, nullable=False),
        Column("body", Text, nullable=False),
        PrimaryKeyConstraint("org", "received_at"),
    )


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
