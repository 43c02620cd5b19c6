"""Answers keyed by the endpoint that gave them: ``raw_responses`` and ``rejected_responses`` get an
``endpoint`` column (every row stored before is ``all_traffic``'s, the only endpoint read until now),
and the primary key of the kept answers names it, so that ``assets_traffic``'s answers for the same days
are kept beside them, not over them.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Adding a column with a constant default rewrites no row (Postgres 11 and later); the default is then
# dropped, so that a writer that names no endpoint fails instead of storing another's answer as this one.
FORMER = "all_traffic"


def upgrade() -> None:
    for table in ("raw_responses", "rejected_responses"):
        op.add_column(table, sa.Column("endpoint", sa.Text, nullable=False, server_default=FORMER))
        op.alter_column(table, "endpoint", server_default=None)
    op.drop_constraint("raw_responses_pkey", "raw_responses", type_="primary")
    op.create_primary_key(
        "raw_responses_pkey", "raw_responses", ["org", "endpoint", "start_date", "end_date", "group_by"]
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM raw_responses WHERE endpoint <> '{FORMER}'")
    op.drop_constraint("raw_responses_pkey", "raw_responses", type_="primary")
    op.create_primary_key("raw_responses_pkey", "raw_responses", ["org", "start_date", "end_date", "group_by"])
    for table in ("raw_responses", "rejected_responses"):
        op.drop_column(table, "endpoint")
