"""The warehouse's Postgres goes down between fetch and upsert, and in the middle of an upsert.

A server of the test's own (the embedded one) so that it can be stopped and started. Each time the
upsert fails, nothing of it is kept, and the retry ends with the tables of a clean run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from include.embedded_postgres import EmbeddedPostgres
from storyblok_traffic.config import MonitorConfig
from storyblok_traffic.jobs.daily import upsert_traffic
from storyblok_traffic.warehouse.checksum import table_checksums
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from tests.integration.warehouse.blocking import fetch, interrupted_upsert

DAYS = [date(2026, 3, 1), date(2026, 3, 2)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    pg = EmbeddedPostgres(Path(tmp_path_factory.mktemp("restart")) / "data").start()
    yield pg
    pg.stop()


@pytest.fixture
def own_engine(server: EmbeddedPostgres, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", server.url.replace("postgresql://", "postgres://"))
    eng = create_engine(server.url.replace("postgresql://", "postgresql+psycopg://"), pool_pre_ping=True)
    yield eng
    eng.dispose()


@pytest.fixture
def clean(simulator, storyblok_conn, own_engine) -> dict[str, str]:
    """The checksums of the days run once, without faults, on the same server."""
    schema = f"clean_{uuid.uuid4().hex[:8]}"
    for day in DAYS:
        upsert_traffic(fetch(day), MonitorConfig(warehouse_schema=schema))
    with begin(own_engine, schema) as conn:
        return table_checksums(conn)


def finish_and_compare(engine: Engine, schema: str, fetched: dict, clean: dict[str, str]) -> None:
    config = MonitorConfig(warehouse_schema=schema)
    upsert_traffic(fetched, config)  # the retry
    upsert_traffic(fetch(DAYS[1]), config)
    with begin(engine, schema) as conn:
        assert table_checksums(conn) == clean


def test_server_down_between_fetch_and_upsert(server, own_engine, clean):
    schema = f"t_{uuid.uuid4().hex[:8]}"
    fetched = fetch(DAYS[0])
    server.stop()
    try:
        with pytest.raises(OperationalError) as err:
            upsert_traffic(fetched, MonitorConfig(warehouse_schema=schema))
        assert str(server.port) in str(err.value)  # names where it could not connect
    finally:
        server.start()
    finish_and_compare(own_engine, schema, fetched, clean)


@pytest.mark.parametrize("mode", ["fast", "immediate"], ids=["restart", "crash"])
def test_server_restarted_mid_upsert(server, own_engine, clean, mode):
    schema = f"t_{uuid.uuid4().hex[:8]}"
    migrate(own_engine, schema)
    fetched = fetch(DAYS[0])
    try:
        failure = interrupted_upsert(own_engine, fetched, schema, lambda _pid: server.stop(mode))
    finally:
        server.start()
    assert isinstance(failure, OperationalError)
    with own_engine.connect() as conn:
        assert conn.execute(text(f'SELECT count(*) FROM "{schema}".org_traffic_daily')).scalar() == 0
    finish_and_compare(own_engine, schema, fetched, clean)
