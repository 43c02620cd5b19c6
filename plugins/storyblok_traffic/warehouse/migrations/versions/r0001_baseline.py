"""Baseline: the warehouse as the hand-written migrations left it at their version 3.

A new schema gets its tables through those frozen steps. A schema they began (it has
``schema_migrations``) gets only the steps it lacks, keeps every row, and loses only that table:
``alembic_version`` records the schema's version from now on.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from storyblok_traffic.warehouse.migrations import legacy

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    legacy.apply(conn, upto=3, record=False)
    legacy.schema_migrations.drop(conn, checkfirst=True)


def downgrade() -> None:
    for name in legacy.TABLES:
        op.drop_table(name)
