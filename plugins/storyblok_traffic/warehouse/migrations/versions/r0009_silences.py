"""Silences: a matcher, a time span, a reason and its maker (``silences``), every change to one
(``silence_changes``), and the silence that held a silenced notice (``silence_id`` on the alert rows,
their journal and the superseded notices). Nothing before the upgrade was silenced. And the incidents
an incident service resolved because their alarm ended without a notice (``incident_ends``).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ALERT_TABLES = ("usage_alerts", "usage_alert_versions", "superseded_notices")


def upgrade() -> None:
    for table in ALERT_TABLES:
        op.add_column(table, sa.Column("silence_id", sa.Text))
    op.create_table(
        "silences",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("matchers", sa.JSON, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("expired_at", sa.DateTime(timezone=True)),
        sa.Column("expired_by", sa.Text),
    )
    op.create_table(
        "silence_changes",
        sa.Column("silence_id", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("silence_id", "at", "what"),
    )
    keys = ("org", "period", "period_start", "kind", "threshold_pct", "meter", "notice_seq", "channel")
    op.create_table(
        "incident_ends",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("threshold_pct", sa.Numeric(7, 2), nullable=False),
        sa.Column("meter", sa.Text, nullable=False),
        sa.Column("notice_seq", sa.Integer, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*keys),
    )


def downgrade() -> None:
    op.drop_table("incident_ends")
    op.drop_table("silence_changes")
    op.drop_table("silences")
    for table in ALERT_TABLES:
        op.drop_column(table, "silence_id")
