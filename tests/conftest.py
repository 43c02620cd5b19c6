"""Fixtures: a real Postgres (local on :5432, else embedded), the simulator and a webhook receiver over HTTP.

Airflow reads its configuration at import, so its environment is set here, before any test imports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="storyblok-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
    }
)
os.environ.pop("STORYBLOK_TRAFFIC_CONFIG", None)
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402

from include.embedded_postgres import EmbeddedPostgres  # noqa: E402
from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator  # noqa: E402
from include.webhook_receiver import WebhookReceiver  # noqa: E402

# Set STORYBLOK_TEST_POSTGRES to use another server (or an unreachable one, to exercise the embedded fallback).
LOCAL_POSTGRES = os.environ.get("STORYBLOK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB = "storyblok_tests"
SIM_TODAY = date(2026, 3, 10)


def _reachable(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a server we may create databases on."""
    if _reachable(LOCAL_POSTGRES):
        yield LOCAL_POSTGRES
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data").start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def warehouse_url(postgres_server: str) -> str:
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEST_DB}")
    return postgres_server.rsplit("/", 1)[0] + f"/{TEST_DB}"


@pytest.fixture(scope="session")
def engine(warehouse_url: str) -> Iterator[Engine]:
    eng = create_engine(warehouse_url.replace("postgresql://", "postgresql+psycopg://"))
    yield eng
    eng.dispose()


@pytest.fixture
def schema(engine: Engine) -> Iterator[str]:
    """A fresh, empty warehouse schema per test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.fixture
def warehouse_conn(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``storyblok_warehouse`` Airflow connection, pointing at the test database."""
    url = warehouse_url.replace("postgresql://", "postgres://")
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", url)
    return url


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=SIM_TODAY)


@pytest.fixture
def simulator(sim_settings: SimulatorSettings) -> Iterator[StoryblokSimulator]:
    sim = StoryblokSimulator(sim_settings).start()
    yield sim
    sim.stop()


@pytest.fixture
def storyblok_conn(simulator: StoryblokSimulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """``storyblok_default`` pointing at the simulator with its personal token."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_STORYBLOK_DEFAULT",
        json.dumps({"conn_type": "storyblok", "host": simulator.url, "password": simulator.settings.token}),
    )
    return "storyblok_default"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """A local webhook receiver behind ``storyblok_alerts_webhook``."""
    rec = WebhookReceiver().start()
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK", json.dumps({"conn_type": "http", "host": rec.url}))
    yield rec
    rec.stop()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated Airflow metadata database (SQLite is enough for ``dag.test``: no scheduler runs)."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=os.environ)
    return AIRFLOW_HOME
