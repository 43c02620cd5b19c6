"""Alembic migrations: every revision from the baseline keeps its rows,
no drift between the revisions and ``tables.py``, and a check on the hot path that reads once and never locks."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, func, inspect, select, text

from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import (
    HEAD,
    MIGRATE_COMMAND,
    REVISIONS,
    VERSION_TABLE,
    SchemaNotCurrent,
    alembic_config,
    current_revision,
    ensure_current,
    migrate,
)
from storyblok_traffic.warehouse.tables import metadata, usage_alerts


def test_migrate_creates_schema_and_is_idempotent(engine, schema):
    assert current_revision(engine, schema) is None
    assert migrate(engine, schema) == list(REVISIONS)
    assert migrate(engine, schema) == []
    assert current_revision(engine, schema) == HEAD


def test_the_hot_path_constant_lists_alembics_revisions():
    scripts = ScriptDirectory.from_config(alembic_config(None, "unused"))
    assert tuple(reversed([s.revision for s in scripts.walk_revisions()])) == REVISIONS
    assert scripts.get_current_head() == HEAD


def test_each_schema_keeps_its_own_version_table(engine, schema):
    other = f"{schema}_b"
    try:
        migrate(engine, schema)
        assert current_revision(engine, other) is None  # the first schema's version says nothing of this one
        migrate(engine, other)
        for name in (schema, other):
            assert VERSION_TABLE in inspect(engine).get_table_names(schema=name)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{other}" CASCADE'))


def test_no_drift_between_the_revisions_and_the_table_definitions(engine, schema):
    """Types, nullability, tables and columns (Alembic's comparison), plus primary keys."""
    migrate(engine, schema)
    with engine.connect() as conn:
        conn.execute(text(f'SET search_path TO "{schema}"'))
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "include_name": lambda name, kind, _: name != VERSION_TABLE},
        )
        assert compare_metadata(context, metadata) == []
    inspector = inspect(engine)
    assert set(inspector.get_table_names(schema=schema)) == {*metadata.tables, VERSION_TABLE}
    for table in metadata.tables.values():
        pk = inspector.get_pk_constraint(table.name, schema)["constrained_columns"]
        assert pk == [c.name for c in table.primary_key.columns], table.name


def test_a_schema_at_the_baseline_reaches_head_with_its_rows(engine, schema):
    from alembic import command

    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        command.upgrade(alembic_config(conn, schema), REVISIONS[0])
        conn.execute(
            text(
                "INSERT INTO usage_alerts (org, period, period_start, threshold_pct, crossed_on, usage, usage_limit, "
                "status, kind, period_end, as_of, notice, notice_seq, evaluated_on) VALUES ('acme', 'year', "
                "'2026-01-01', 50, '2026-06-02', 600, 1200, 'sent', 'actual', '2026-12-31', '2026-06-02', 'alarm', 1, "
                "'2026-06-02')"
            )
        )
        conn.execute(text("INSERT INTO org_traffic_daily VALUES ('acme', '2026-06-02', 600, 6000, now())"))
    assert current_revision(engine, schema) == REVISIONS[0]
    assert migrate(engine, schema) == list(REVISIONS[1:])
    with begin(engine, schema) as conn:
        row = conn.execute(select(usage_alerts)).mappings().one()
        days = conn.execute(text(f'SELECT org, day, api_requests, total_bytes FROM "{schema}".org_traffic_daily')).all()
    assert (row["kind"], row["status"], row["notice"], row["notice_seq"]) == ("actual", "sent", "alarm", 1)
    assert row["meter"] == "requests"  # revision 0005: a threshold of an organisation not configured for bytes
    assert (row["as_of"], row["evaluated_on"], row["period_end"]) == (
        date(2026, 6, 2),
        date(2026, 6, 2),
        date(2026, 12, 31),
    )
    assert days == [("acme", date(2026, 6, 2), 600, 6000)]
    with engine.connect() as conn:  # revision 0002 starts the evaluation bookkeeping from what is there
        versions = conn.execute(text(f'SELECT day, status FROM "{schema}".usage_alert_versions')).all()
        checked = conn.execute(text(f'SELECT org, day, quiet FROM "{schema}".checked_days')).all()
    assert versions == [(date(2026, 6, 2), "sent")]
    assert checked == [("acme", date(2026, 6, 2), True)]


def count_statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_current_schema_costs_one_read_and_no_lock(engine, schema):
    migrate(engine, schema)
    done = threading.Event()
    with engine.begin() as holder:  # another task migrating this schema right now
        holder.execute(select(func.pg_advisory_xact_lock(0x5B0B_7AFF, func.hashtext(schema))))
        statements = count_statements(engine)

        def check() -> None:
            ensure_current(engine, schema)
            done.set()

        worker = threading.Thread(target=check)
        worker.start()
        worker.join(timeout=10)
        assert done.is_set(), "a check of a current schema waited for the migration lock"
    assert len([s for s in statements if "alembic_version" in s]) == 1
    assert not [s for s in statements if "advisory" in s or "CREATE" in s.upper()]


def test_without_auto_migrate_a_behind_schema_fails_naming_the_command(engine, schema):
    with pytest.raises(SchemaNotCurrent, match=f"auto_migrate is false: run `{MIGRATE_COMMAND}`"):
        ensure_current(engine, schema, auto_migrate=False)
    assert schema not in inspect(engine).get_schema_names()  # nothing was written
    ensure_current(engine, schema, auto_migrate=True)
    assert current_revision(engine, schema) == HEAD


def test_a_schema_from_a_newer_package_is_refused(engine, schema):
    migrate(engine, schema)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE \"{schema}\".{VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(SchemaNotCurrent, match="revision 9999, which this package does not know"):
        ensure_current(engine, schema)
    with pytest.raises(SchemaNotCurrent, match="revision 9999, which this package does not know"):
        migrate(engine, schema)  # what `storyblok-traffic db migrate` calls: a message, not Alembic's traceback


def test_a_task_with_auto_migrate_off_fails_before_writing(engine, schema, warehouse_conn):
    from storyblok_traffic.config import MonitorConfig, OrgConfig
    from storyblok_traffic.jobs import daily

    config = MonitorConfig(warehouse_schema=schema, auto_migrate=False)
    with pytest.raises(SchemaNotCurrent, match=MIGRATE_COMMAND):
        daily.check_usage(date(2026, 3, 9), OrgConfig(), config, today=date(2026, 3, 10))
    assert schema not in inspect(engine).get_schema_names()


def test_revision_0010_keeps_every_stored_answer_as_all_traffics_and_makes_room_for_assets(engine, schema):
    from alembic import command

    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        command.upgrade(alembic_config(conn, schema), "0009")
        for first in ("2026-06-01", "2026-06-02"):
            conn.execute(
                text(
                    "INSERT INTO raw_responses (org, start_date, end_date, group_by, fetched_at, payload) "
                    f"VALUES ('acme', '{first}', '2026-06-02', 'day', now(), '{{\"traffic\": []}}')"
                )
            )
        conn.execute(
            text(
                "INSERT INTO rejected_responses (org, received_at, start_date, end_date, error, body) "
                "VALUES ('acme', now(), '2026-06-01', '2026-06-02', 'bad', '<html>')"
            )
        )
    assert migrate(engine, schema) == list(REVISIONS[REVISIONS.index("0010") :])
    with engine.begin() as conn:
        conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        kept = conn.execute(text("SELECT start_date, endpoint, payload::text FROM raw_responses ORDER BY 1")).all()
        assert kept == [
            (date(2026, 6, 1), "all_traffic", '{"traffic": []}'),
            (date(2026, 6, 2), "all_traffic", '{"traffic": []}'),
        ]
        assert conn.execute(text("SELECT endpoint FROM rejected_responses")).scalars().all() == ["all_traffic"]
        # the same request's days answered by assets_traffic are kept beside, not over, all_traffic's
        conn.execute(
            text(
                "INSERT INTO raw_responses (org, start_date, end_date, group_by, fetched_at, payload, endpoint) "
                "VALUES ('acme', '2026-06-02', '2026-06-02', 'day', now(), '[]', 'assets_traffic')"
            )
        )
        assert conn.execute(text("SELECT count(*) FROM raw_responses")).scalar() == 3
