"""The alerts that may be open, found by index: the overview reads them for every organisation on each
request, and an organisation's alert rows grow with its years (672 in ten of the benchmark's; a read
of all of them for 200 organisations took 77 ms, these indexes' rows alone a few).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"
TOLD_ALARM = "notice = 'alarm' AND status IN ('sent', 'silenced')"


def upgrade() -> None:
    op.create_index("ix_usage_alerts_pending", "usage_alerts", ["org"], postgresql_where=sa.text(PENDING))
    op.create_index(
        "ix_usage_alerts_told_alarms", "usage_alerts", ["org", "period_end"], postgresql_where=sa.text(TOLD_ALARM)
    )


def downgrade() -> None:
    op.drop_index("ix_usage_alerts_told_alarms", table_name="usage_alerts")
    op.drop_index("ix_usage_alerts_pending", table_name="usage_alerts")
