"""What a notice tells, stored when it becomes due; what a channel got, stored with its delivery; and
which checked days were a history load.

``figures`` (on the alert rows, their journal and the superseded notices): the top spaces, the days
missing before a crossing, when monitoring started, the bill and the month that closed meanwhile, as of
the notice's day. Notices recorded before the upgrade have none and are told without them. ``as_sent``
on a delivery: the notice as the channel got it. ``history`` on a checked day: checked by a history
load; days checked quietly before the upgrade were a history load or older than the lookback, and
count as history. ``space_id`` (the alert rows, their journal, the superseded notices): a space's spike
or new space names its space in a column of its own, filled here from the rows' period ("space 100021",
"new space 100021"), so that no reader parses it back out of the text.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ALERT_TABLES = ("usage_alerts", "usage_alert_versions", "superseded_notices")


def upgrade() -> None:
    for table in ALERT_TABLES:
        op.add_column(table, sa.Column("figures", sa.JSON))
        op.add_column(table, sa.Column("space_id", sa.Text))
        op.execute(
            f"UPDATE {table} SET space_id = regexp_replace(period, '^(new )?space ', '') "
            "WHERE kind = 'spike' AND period ~ '^(new )?space .'"
        )
    op.add_column("alert_deliveries", sa.Column("as_sent", sa.JSON))
    op.add_column("checked_days", sa.Column("history", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE checked_days SET history = quiet")
    op.alter_column("checked_days", "history", server_default=None)


def downgrade() -> None:
    op.drop_column("checked_days", "history")
    op.drop_column("alert_deliveries", "as_sent")
    for table in ALERT_TABLES:
        op.drop_column(table, "space_id")
        op.drop_column(table, "figures")
