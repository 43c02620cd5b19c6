"""Upgrading: a warehouse made by the previous release (``tests/data/warehouse-<version>.json``, written
by ``include/warehouse_snapshot.py`` with that release's code) is migrated by this package and keeps
every row of every table, and this package's report reads it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import select

from include.warehouse_snapshot import SESSION, copy_out
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.check import check
from storyblok_traffic.jobs.report import usage_report
from storyblok_traffic.rules.alert_state import PENDING
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.warehouse import alerts
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import HEAD, REVISIONS, VERSION_TABLE, alembic_config, migrate
from storyblok_traffic.warehouse.tables import usage_alert_versions

SNAPSHOT = Path(__file__).resolve().parents[2] / "data" / "warehouse-0.1.0.json"


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text())


def restore(engine, warehouse_url: str, schema: str, snapshot: dict[str, Any]) -> None:
    """The schema as the previous release left it: its revision by Alembic, then its rows by COPY."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
        command.upgrade(alembic_config(conn, schema), snapshot["revision"])
    with psycopg.connect(warehouse_url) as conn:
        for statement in SESSION:
            conn.execute(statement)
        for name, table in snapshot["tables"].items():
            if name == VERSION_TABLE:
                continue
            listed = ", ".join(f'"{c}"' for c in table["columns"])
            with conn.cursor().copy(f'COPY "{schema}"."{name}" ({listed}) FROM STDIN') as copy:
                copy.write("".join(f"{row}\n" for row in table["rows"]))


def test_the_previous_releases_warehouse_is_upgraded_with_every_row(engine, warehouse_url, schema, snapshot):
    assert all(table["rows"] for table in snapshot["tables"].values())  # a row in every table: each is kept
    restore(engine, warehouse_url, schema, snapshot)
    assert migrate(engine, schema) == list(REVISIONS[REVISIONS.index(snapshot["revision"]) + 1 :])

    with psycopg.connect(warehouse_url) as conn:
        for statement in SESSION:
            conn.execute(statement)
        assert [r for (r,) in conn.execute(f'SELECT version_num FROM "{schema}".{VERSION_TABLE}')] == [HEAD]
        for name, table in snapshot["tables"].items():
            if name != VERSION_TABLE:  # the same columns hold the same values, row for row
                assert copy_out(conn, schema, name, table["columns"]) == table["rows"], name

    with begin(engine, schema) as conn:
        report = usage_report(conn, "storyblok_default", date(2026, 3, 9))
    assert "2026-03      9" in report  # the month's nine days, read by this package
    assert "Alerts:\n" in report
    assert "crossed" in report


@pytest.mark.parametrize("meter", ["requests", "bytes"])
def test_the_alert_rows_keep_the_configured_meter_and_their_deliveries(engine, warehouse_url, schema, snapshot, meter):
    """Revision 0005 puts the meter in the alert key: every old threshold, forecast and spike row is the
    configured limit meter's, and each delivery follows its alert, so a notice sent before is still sent."""
    restore(engine, warehouse_url, schema, snapshot)
    migrate(engine, schema, {"storyblok_default": meter, "another": "bytes"})
    # (alert, notice, channel) of each delivery: a spike's start and end are two notices of one alert
    deliveries = len({tuple(row.split("\t")[:7]) for row in snapshot["tables"]["alert_deliveries"]["rows"]})
    with begin(engine, schema) as conn:
        rows = alerts.history(conn, "storyblok_default")
        assert len(rows) == len(snapshot["tables"]["usage_alerts"]["rows"])
        assert {a.meter for a in rows} == {meter}  # every row of the snapshot is a threshold, forecast or spike
        journal = conn.execute(select(usage_alert_versions.c.meter).distinct()).scalars().all()
        assert journal == [meter]
        told = alerts.delivered(conn, [replace(a, notice_seq=seq) for a in rows for seq in (1, 2)])
        assert len(told) == deliveries


def test_a_check_after_the_upgrade_tells_nothing_again(engine, warehouse_url, schema, snapshot):
    restore(engine, warehouse_url, schema, snapshot)
    migrate(engine, schema, {"storyblok_default": "requests"})
    org = OrgConfig()
    with begin(engine, schema) as conn:
        before = {a.key: a.status for a in alerts.history(conn, org.org)}
        check(conn, org, date(2026, 3, 9), date(2026, 3, 9), date(2026, 3, 9), Routing(default=("slack",)))
        after = {a.key: a.status for a in alerts.history(conn, org.org)}
    assert {key: after[key] for key in before} == before
    assert PENDING not in after.values()


def test_each_spike_row_names_its_space_in_a_column_of_its_own(engine, warehouse_url, schema, snapshot):
    """Revision 0008: a space's spike names its space in ``space_id`` (the organisation's: none), in the
    rows, their journal and the superseded notices alike; no reader parses it out of the period."""
    restore(engine, warehouse_url, schema, snapshot)
    migrate(engine, schema)
    with begin(engine, schema) as conn:
        rows = [(a.period, a.space_id) for a in alerts.history(conn, "storyblok_default") if a.kind == "spike"]
        journal = conn.exec_driver_sql(
            f"SELECT DISTINCT period, space_id FROM \"{schema}\".usage_alert_versions WHERE kind = 'spike'"
        ).all()
    assert ("space 100007", "100007") in rows
    assert all(space == (None if period == "organisation" else period.rsplit(" ", 1)[1]) for period, space in rows)
    assert sorted(journal) == sorted(set(rows))
