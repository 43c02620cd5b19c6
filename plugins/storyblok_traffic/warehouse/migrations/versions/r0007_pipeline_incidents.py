"""Pipeline incidents: a failing pipeline told once per organisation and cause, and resolved once.

Failures before the upgrade were told per run; none is turned into an incident.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_incidents",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_run", sa.Text, nullable=False),
        sa.Column("first_task", sa.Text),
        sa.Column("first_error", sa.Text),
        sa.Column("last_run", sa.Text, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("runs_failed", sa.Integer, nullable=False),
        sa.Column("token_fingerprint", sa.Text),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.Date),
        sa.PrimaryKeyConstraint("org", "cause", "opened_at"),
    )
    op.create_table(
        "incident_deliveries",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org", "cause", "opened_at", "notice", "channel"),
    )


def downgrade() -> None:
    op.drop_table("incident_deliveries")
    op.drop_table("pipeline_incidents")
