from __future__ import annotations

from sqlalchemy import inspect

from storyblok_traffic.warehouse.migrations import MIGRATIONS, current_version, migrate
from storyblok_traffic.warehouse.tables import metadata


def test_migrate_creates_schema_and_is_idempotent(engine, schema):
    assert migrate(engine, schema) == [m.version for m in MIGRATIONS]
    assert migrate(engine, schema) == []
    assert current_version(engine, schema) == MIGRATIONS[-1].version


def test_migrated_tables_match_the_current_definitions(engine, schema):
    """Migrations are frozen copies; this catches a table changed without a migration."""
    migrate(engine, schema)
    inspector = inspect(engine)
    assert set(inspector.get_table_names(schema=schema)) == set(metadata.tables)
    for table in metadata.tables.values():
        columns = {
            c["name"]: (type(c["type"]).__name__, c["nullable"]) for c in inspector.get_columns(table.name, schema)
        }
        expected = {c.name: (type(c.type).__name__, c.nullable) for c in table.columns}
        assert columns.keys() == expected.keys(), table.name
        assert {n: v[1] for n, v in columns.items()} == {n: v[1] for n, v in expected.items()}, table.name
        pk = inspector.get_pk_constraint(table.name, schema)["constrained_columns"]
        assert pk == [c.name for c in table.primary_key.columns], table.name


def test_v2_keeps_alerts_recorded_under_v1(engine, schema):
    from datetime import date

    from sqlalchemy import select, text

    from storyblok_traffic.warehouse import migrations
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.tables import usage_alerts

    v1 = migrations.MIGRATIONS[:1]
    original = migrations.MIGRATIONS
    migrations.MIGRATIONS = v1
    try:
        migrate(engine, schema)
    finally:
        migrations.MIGRATIONS = original
    with engine.begin() as conn:
        conn.execute(
            text(
                f'INSERT INTO "{schema}".usage_alerts (org, period, period_start, threshold_pct, crossed_on, usage, '
                "usage_limit, status) VALUES ('acme', 'year', '2026-01-01', 50, '2026-06-02', 600, 1200, 'sent')"
            )
        )
    assert migrate(engine, schema) == [2, 3]
    with begin(engine, schema) as conn:
        row = conn.execute(select(usage_alerts)).mappings().one()
    assert (row["kind"], row["status"], row["notice"], row["notice_seq"]) == ("actual", "sent", "alarm", 1)
    assert (row["as_of"], row["evaluated_on"], row["period_end"]) == (
        date(2026, 6, 2),
        date(2026, 6, 2),
        date(2026, 12, 31),
    )
