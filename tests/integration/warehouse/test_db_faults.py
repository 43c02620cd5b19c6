"""The warehouse connection dies in the middle of an upsert: the task fails, nothing of it is kept, and
the retry ends as a clean run."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storyblok_traffic.config import MonitorConfig
from storyblok_traffic.jobs.daily import upsert_traffic
from storyblok_traffic.warehouse.checksum import table_checksums
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from tests.integration.warehouse.blocking import fetch, interrupted_upsert

DAYS = [date(2026, 3, 1), date(2026, 3, 2)]


def test_connection_lost_mid_upsert_then_retry(simulator, storyblok_conn, warehouse_conn, engine, schema):
    clean = f"t_{uuid.uuid4().hex[:12]}"
    try:
        for day in DAYS:
            upsert_traffic(fetch(day), MonitorConfig(warehouse_schema=clean))
        with begin(engine, clean) as conn:
            expected = table_checksums(conn)

        config = MonitorConfig(warehouse_schema=schema)
        migrate(engine, schema)
        fetched = fetch(DAYS[0])

        def terminate(pid: int) -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        failure = interrupted_upsert(engine, fetched, schema, terminate)
        assert isinstance(failure, OperationalError)
        with engine.connect() as conn:
            assert conn.execute(text(f'SELECT count(*) FROM "{schema}".org_traffic_daily')).scalar() == 0

        upsert_traffic(fetched, config)  # the retry
        upsert_traffic(fetch(DAYS[1]), config)
        with begin(engine, schema) as conn:
            assert table_checksums(conn) == expected
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{clean}" CASCADE')
