"""Assets: the files an organisation serves (``assets``), the bytes each served a day
(``asset_traffic_daily``, only files with traffic) and each file's month (``asset_traffic_monthly``,
kept with every daily write so that a month's top files read 20 index entries, not 1.5 million rows).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("asset_id", sa.BigInteger, nullable=False),
        sa.Column("space_id", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text),
        sa.Column("content_length", sa.BigInteger),
        sa.Column("is_private", sa.Boolean),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("org", "asset_id"),
    )
    op.create_table(
        "asset_traffic_daily",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("asset_id", sa.BigInteger, nullable=False),
        sa.Column("total_bytes", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("org", "day", "asset_id"),
    )
    op.create_table(
        "asset_traffic_monthly",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("asset_id", sa.BigInteger, nullable=False),
        sa.Column("total_bytes", sa.BigInteger, nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("org", "month", "asset_id"),
    )
    op.create_index(
        "ix_asset_traffic_monthly_top",
        "asset_traffic_monthly",
        ["org", "month", sa.text("total_bytes DESC"), "asset_id"],
    )


def downgrade() -> None:
    for table in ("asset_traffic_monthly", "asset_traffic_daily", "assets"):
        op.drop_table(table)
