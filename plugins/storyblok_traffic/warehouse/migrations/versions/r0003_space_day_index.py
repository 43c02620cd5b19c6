"""An index on the space rows by organisation and day: spike checks read one day's busy spaces.

The primary key leads with the space, so "every space of this organisation on this day" scanned all
of the organisation's space rows (a year of 500 spaces: 182,500) for each day checked.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_space_traffic_daily_org_day", "space_traffic_daily", ["org", "day"])


def downgrade() -> None:
    op.drop_index("ix_space_traffic_daily_org_day", table_name="space_traffic_daily")
