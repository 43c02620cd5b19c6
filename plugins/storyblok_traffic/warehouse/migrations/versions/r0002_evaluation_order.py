"""Evaluation order (the days checked, the change watermark, the journal of alert changes) and alert detail.

An existing schema starts with what it has: each organisation's alerts become the journal's first
entries (by the day they last changed), and its stored days up to the newest evaluated one count as
checked, quietly (a notice that went out then is recognised by its delivery if a day is replayed).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ALERT_COLUMNS = (
    "org, period, period_start, kind, threshold_pct, period_end, crossed_on, as_of, usage, usage_limit, "
    "projected_on, status, notice, notice_seq, evaluated_on, notified_at"
)


def upgrade() -> None:
    op.add_column("usage_alerts", sa.Column("detail", sa.Text))
    op.create_table(
        "evaluation_marks",
        sa.Column("org", sa.Text, primary_key=True),
        sa.Column("changed_from", sa.Date),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
        sa.Column("watched_since", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "checked_days",
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("quiet", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("org", "day"),
    )
    op.create_table(
        "usage_alert_versions",
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
        sa.PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct", "day"),
    )
    op.execute(
        f"INSERT INTO usage_alert_versions (day, {ALERT_COLUMNS}) "
        f"SELECT evaluated_on, {ALERT_COLUMNS} FROM usage_alerts"
    )
    op.execute(
        "INSERT INTO checked_days (org, day, quiet) SELECT d.org, d.day, true FROM org_traffic_daily d "
        "JOIN (SELECT org, max(evaluated_on) AS through FROM usage_alerts GROUP BY org) a "
        "ON a.org = d.org AND d.day <= a.through"
    )


def downgrade() -> None:
    op.drop_table("usage_alert_versions")
    op.drop_table("checked_days")
    op.drop_table("evaluation_marks")
    op.drop_column("usage_alerts", "detail")
