"""Engines and connections mapped into the warehouse schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine


def engine_from_conn_id(conn_id: str) -> Engine:
    """The SQLAlchemy engine of an Airflow Postgres connection (psycopg 3)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    url = PostgresHook(postgres_conn_id=conn_id).sqlalchemy_url
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def warehouse_transaction(conn_id: str, schema: str, migrate: bool = True) -> Iterator[Connection]:
    """One transaction on the warehouse of an Airflow connection, its schema migrated first."""
    engine = engine_from_conn_id(conn_id)
    try:
        if migrate:
            from storyblok_traffic.warehouse.migrations import migrate as apply_migrations

            apply_migrations(engine, schema)
        with begin(engine, schema) as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def begin(engine: Engine, schema: str) -> Iterator[Connection]:
    """One transaction whose schema-less tables resolve into ``schema``."""
    with engine.connect() as raw:
        conn = raw.execution_options(schema_translate_map={None: schema})
        with conn.begin():
            yield conn
