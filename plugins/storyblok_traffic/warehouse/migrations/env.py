"""Alembic's environment: online only, on the connection and schema that ``migrate`` hands over."""

from __future__ import annotations

from alembic import context

from storyblok_traffic.warehouse.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the warehouse migrations with `storyblok-traffic db migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table_schema=config.attributes["schema"],
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
