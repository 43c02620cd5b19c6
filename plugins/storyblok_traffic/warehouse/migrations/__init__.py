"""Warehouse schema migrations with Alembic, one version table per schema, kept off the hot path.

Every task that touches the warehouse calls ``ensure_current``: one read of ``<schema>.alembic_version``
and no lock. Only a schema that is behind is migrated, under an advisory lock, and only when the
configuration's ``auto_migrate`` allows it; otherwise the task fails naming the command to run.
``storyblok-traffic db migrate`` runs the same migration explicitly (for example as a schema owner,
so that the tasks' role needs no DDL rights).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.schema import CreateSchema

from storyblok_traffic.errors import WarehouseWaitTimeout
from storyblok_traffic.warehouse.waits import LOCK_NOT_AVAILABLE, LOCK_TIMEOUT_SECONDS, bound_waits

if TYPE_CHECKING:
    from alembic.config import Config

# Every revision in versions/, oldest first; a test keeps this equal to Alembic's own view. Kept as a
# constant so that the per-task check needs neither Alembic nor the revision files.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012", "0013")
HEAD = REVISIONS[-1]
VERSION_TABLE = "alembic_version"
MIGRATE_COMMAND = "storyblok-traffic db migrate"
SCRIPTS = Path(__file__).resolve().parent
# First half of the two-int advisory lock key; the second is the schema's hash.
_LOCK_SPACE = 0x5B0B_7AFF
_UNDEFINED_TABLE = "42P01"


class SchemaNotCurrent(RuntimeError):
    """The warehouse schema is behind (or ahead of) this package and may not be migrated here."""


def current_revision(engine: Engine, schema: str) -> str | None:
    """The schema's Alembic revision; None when it has none (new, or never migrated with Alembic)."""
    with engine.connect() as conn:
        return _read_revision(conn, schema)


def ensure_current(
    engine: Engine, schema: str, auto_migrate: bool = True, limit_meters: Mapping[str, str] | None = None
) -> None:
    """One cheap read; migrate only a schema that is behind, and only when ``auto_migrate`` allows.

    ``limit_meters``: each organisation's ``limit_meter``, which revisions that must know it read.
    """
    revision = current_revision(engine, schema)
    if revision == HEAD:
        return
    _refuse_unknown(schema, revision)
    if not auto_migrate:
        raise SchemaNotCurrent(
            f"warehouse schema {schema!r} is at revision {revision or 'none'}, this package needs {HEAD}, and "
            f"auto_migrate is false: run `{MIGRATE_COMMAND}` (as a role that may change the schema)"
        )
    migrate(engine, schema, limit_meters)


def migrate(engine: Engine, schema: str, limit_meters: Mapping[str, str] | None = None) -> list[str]:
    """Bring ``schema`` to the newest revision in one transaction; returns the revisions applied now.

    ``limit_meters``: org -> its ``limit_meter`` (0005 keeps each organisation's alert rows as that meter's).
    """
    from alembic import command

    with engine.begin() as conn:
        # The wait for another migrating task is bounded; a revision's own statements are not (one that
        # rewrites a big table must finish: cut off, its transaction would roll back and start over).
        bound_waits(conn, LOCK_TIMEOUT_SECONDS)
        try:
            conn.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, func.hashtext(schema))))
        except OperationalError as err:
            if getattr(err.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            raise WarehouseWaitTimeout(
                f"waited {LOCK_TIMEOUT_SECONDS} s for schema {schema!r}'s migration lock: another session is "
                "migrating it (a task, or `storyblok-traffic db migrate`); the retry finds it current"
            ) from err
        conn.execute(CreateSchema(schema, if_not_exists=True))
        # Schema-less tables, plain DDL and reflection in the revisions all resolve into the schema.
        conn.execute(text(f"SET LOCAL search_path TO {_quoted(conn, schema)}"))
        before = _read_revision(conn, schema, in_transaction=True)
        if before == HEAD:
            return []
        _refuse_unknown(schema, before)
        config = alembic_config(conn, schema)
        config.attributes["limit_meters"] = dict(limit_meters or {})
        command.upgrade(config, "head")
    return list(REVISIONS[REVISIONS.index(before) + 1 :] if before else REVISIONS)


def alembic_config(conn: Connection | None, schema: str) -> Config:
    """Alembic's configuration for ``schema``, sharing the caller's connection and transaction."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes.update({"connection": conn, "schema": schema})
    return config


def _refuse_unknown(schema: str, revision: str | None) -> None:
    if revision is not None and revision not in REVISIONS:
        raise SchemaNotCurrent(
            f"warehouse schema {schema!r} is at revision {revision}, which this package does not know "
            f"(its newest is {HEAD}): a newer version of storyblok-traffic-monitor migrated it; upgrade this one"
        )


def _read_revision(conn: Connection, schema: str, in_transaction: bool = False) -> str | None:
    table = f"{_quoted(conn, schema)}.{VERSION_TABLE}"
    read = text(f"SELECT version_num FROM {table}")
    if in_transaction:  # a failed statement would abort the caller's transaction: look first
        return None if conn.scalar(select(func.to_regclass(table))) is None else conn.scalar(read)
    try:
        return conn.scalar(read)
    except ProgrammingError as err:
        if getattr(err.orig, "sqlstate", None) == _UNDEFINED_TABLE:
            return None
        raise


def _quoted(conn: Connection, schema: str) -> str:
    return conn.dialect.identifier_preparer.quote_schema(schema)
