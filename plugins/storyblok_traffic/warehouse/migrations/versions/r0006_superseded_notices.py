"""Superseded notices: a notice still pending when its row moved on to a newer one is kept here until
every channel has it, so that it goes out with its successor instead of being lost.

A schema that had such a notice before the upgrade lost it already; nothing is recovered.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEY = ["org", "period", "period_start", "kind", "threshold_pct", "meter"]


def upgrade() -> None:
    op.create_table(
        "superseded_notices",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("threshold_pct", sa.Numeric(7, 2), nullable=False),
        sa.Column("period_end", sa.Date),
        sa.Column("crossed_on", sa.Date, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("usage", sa.BigInteger, nullable=False),
        sa.Column("usage_limit", sa.BigInteger, nullable=False),
        sa.Column("projected_on", sa.Date),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("notice", sa.Text, nullable=False),
        sa.Column("notice_seq", sa.Integer, nullable=False),
        sa.Column("evaluated_on", sa.Date, nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        sa.Column("detail", sa.Text),
        sa.Column("meter", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint(*KEY, "notice_seq"),
    )


def downgrade() -> None:
    op.drop_table("superseded_notices")
