"""Engines and connections mapped into the warehouse schema."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import OperationalError

from storyblok_traffic.warehouse.waits import LOCK_TIMEOUT_SECONDS, STATEMENT_TIMEOUT_SECONDS, bound_waits, wait_error

if TYPE_CHECKING:
    from storyblok_traffic.config import Warehouse


def engine_from_conn_id(conn_id: str) -> Engine:
    """The SQLAlchemy engine of an Airflow Postgres connection (psycopg 3)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    url = PostgresHook(postgres_conn_id=conn_id).sqlalchemy_url
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def warehouse_transaction(warehouse: Warehouse) -> Iterator[Connection]:
    """One transaction on the warehouse, after checking (and, if allowed, bringing) its schema current."""
    from storyblok_traffic.warehouse.migrations import ensure_current

    engine = engine_from_conn_id(warehouse.conn_id)
    try:
        ensure_current(engine, warehouse.schema, warehouse.auto_migrate, dict(warehouse.limit_meters))
        waits = (warehouse.lock_timeout_seconds, warehouse.statement_timeout_seconds)
        with begin(engine, warehouse.schema, *waits) as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def begin(
    engine: Engine,
    schema: str,
    lock_timeout_seconds: int = LOCK_TIMEOUT_SECONDS,
    statement_timeout_seconds: int = STATEMENT_TIMEOUT_SECONDS,
) -> Iterator[Connection]:
    """One transaction whose schema-less tables resolve into ``schema``, and whose every lock wait and
    statement is bounded: one that outlasts its bound fails naming what it waited for."""
    with engine.connect() as raw:
        conn = raw.execution_options(schema_translate_map={None: schema})
        try:
            with conn.begin():
                bound_waits(conn, lock_timeout_seconds, statement_timeout_seconds)
                yield conn
        except OperationalError as err:
            said = wait_error(err, lock_timeout_seconds, statement_timeout_seconds)
            if said is None:
                raise
            raise said from err


def qualified(conn: Connection, table: str) -> str:
    """``"schema".table`` for SQL written by hand (COPY, the driver's cursor): the schema ``begin`` maps to."""
    schema = conn.get_execution_options()["schema_translate_map"][None]
    preparer = conn.dialect.identifier_preparer
    return f"{preparer.quote_schema(schema)}.{preparer.quote(table)}"


def driver_rows(conn: Connection, sql: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
    """The rows of SQL written by hand (its tables named by ``qualified``), straight through the driver's
    cursor: SQLAlchemy's row handling doubled the time of many rows (measured on the year's check)."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(sql, params)
    return list(cursor.fetchall())
