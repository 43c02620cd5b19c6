"""The weekly digest's delivery ledger: which channel has had which organisation's week, and what it got.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_deliveries",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("org", "week_start", "channel"),
    )


def downgrade() -> None:
    op.drop_table("digest_deliveries")
