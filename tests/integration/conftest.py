"""Integration fixtures: a real Postgres (local on :5432, else embedded), the Storyblok simulator, webhook
and SMTP receivers over real sockets, a migrated Airflow metadata database, and traffic histories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text

from include.embedded_postgres import local_or_embedded
from include.smtp_receiver import SmtpReceiver
from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator
from include.webhook_receiver import WebhookReceiver

# Set STORYBLOK_TEST_POSTGRES to use another server (or an unreachable one, to exercise the embedded fallback).
LOCAL_POSTGRES = os.environ.get("STORYBLOK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
# One database per test run, so that two runs (a developer's and CI's, or two clones) never meet.
TEST_DB = f"storyblok_tests_{uuid.uuid4().hex[:8]}"
SIM_TODAY = date(2026, 3, 10)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a server we may create databases on."""
    with local_or_embedded(LOCAL_POSTGRES, tmp_path_factory.mktemp("pg") / "data") as url:
        yield url


def create_database(postgres_server: str, name: str, template: str | None = None) -> None:
    """A database of a test run's own. Its commits do not wait for the disk (``synchronous_commit``): the
    run's tens of thousands of small transactions (Airflow's above all) spent much of it waiting on
    fsync, and nothing in it needs to outlive a crash of the server."""
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        conn.execute(f"ALTER DATABASE {name} SET synchronous_commit = off")


@pytest.fixture(scope="session")
def warehouse_url(postgres_server: str) -> Iterator[str]:
    create_database(postgres_server, TEST_DB)
    yield postgres_server.rsplit("/", 1)[0] + f"/{TEST_DB}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")


@pytest.fixture(scope="session")
def airflow_metadata_template(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Postgres database ``airflow db migrate`` ran on once per test run, for the stack tests to copy.

    Each of them migrated a database of its own before: about half a minute each, of CI's time.
    """
    from include.airflow_stack import airflow_env

    name = f"meta_template_{TEST_DB.rsplit('_', 1)[-1]}"
    create_database(postgres_server, name)
    env = airflow_env(tmp_path_factory.mktemp("airflow-template"), _metadata_url(postgres_server, name))
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=env)
    yield name
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def metadata_database(postgres_server: str, template: str, name: str) -> str:
    """A migrated Airflow metadata database of a test's own, copied from ``template``; its SQLAlchemy URL."""
    create_database(postgres_server, name, template)
    return _metadata_url(postgres_server, name)


def _metadata_url(postgres_server: str, name: str) -> str:
    return postgres_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


@pytest.fixture(scope="session")
def engine(warehouse_url: str) -> Iterator[Engine]:
    eng = create_engine(warehouse_url.replace("postgresql://", "postgresql+psycopg://"))
    yield eng
    eng.dispose()


@pytest.fixture
def schema(engine: Engine) -> Iterator[str]:
    """A fresh, empty warehouse schema per test."""
    yield from _schema(engine)


def _schema(engine: Engine) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.fixture
def warehouse_conn(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``storyblok_warehouse`` Airflow connection, pointing at the test database."""
    return _warehouse_conn(warehouse_url, monkeypatch)


def _warehouse_conn(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = warehouse_url.replace("postgresql://", "postgres://")
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", url)
    return url


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=SIM_TODAY)


@pytest.fixture
def simulator(sim_settings: SimulatorSettings) -> Iterator[StoryblokSimulator]:
    yield from _simulator(sim_settings)


def _simulator(settings: SimulatorSettings) -> Iterator[StoryblokSimulator]:
    sim = StoryblokSimulator(settings).start()
    yield sim
    sim.stop()


@pytest.fixture
def storyblok_conn(simulator: StoryblokSimulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """``storyblok_default`` pointing at the simulator with its personal token."""
    return _storyblok_conn(simulator, monkeypatch)


def _storyblok_conn(simulator: StoryblokSimulator, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(
        "AIRFLOW_CONN_STORYBLOK_DEFAULT",
        json.dumps({"conn_type": "storyblok", "host": simulator.url, "password": simulator.settings.token}),
    )
    return "storyblok_default"


def _webhook_receiver(monkeypatch: pytest.MonkeyPatch, conn_id: str) -> Iterator[WebhookReceiver]:
    rec = WebhookReceiver().start()
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "http", "host": rec.url}))
    yield rec
    rec.stop()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """A local Slack-style webhook receiver behind ``storyblok_alerts_webhook``."""
    yield from _webhook_receiver(monkeypatch, "storyblok_alerts_webhook")


@pytest.fixture
def json_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """A local receiver behind ``storyblok_alerts_json``, for the generic JSON webhook channel."""
    yield from _webhook_receiver(monkeypatch, "storyblok_alerts_json")


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpReceiver]:
    """A local SMTP server behind ``smtp_alerts`` (plain SMTP, no retries inside the hook)."""
    server = SmtpReceiver().start()
    extra = {"disable_tls": True, "disable_ssl": True, "from_email": "monitor@example.com", "retry_limit": 0}
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_ALERTS",
        json.dumps({"conn_type": "smtp", "host": server.host, "port": server.port, "extra": extra}),
    )
    yield server
    server.stop()


@dataclass(frozen=True)
class Shared:
    """What a module of tests shares when it starts something costly once for all of them (an API
    server): one simulator, receiver and warehouse schema, and the connections to them."""

    simulator: StoryblokSimulator
    receiver: WebhookReceiver
    schema: str
    warehouse_conn: str
    storyblok_conn: str


@contextmanager
def shared(engine: Engine, warehouse_url: str, settings: SimulatorSettings) -> Iterator[Shared]:
    """A module-scoped ``simulator``, ``receiver``, ``schema`` and connections (see ``Shared``)."""
    with pytest.MonkeyPatch.context() as mp, ExitStack() as started:
        # each a fixture's generator: entered here, and left (stopped, dropped) however the module ends
        sim = started.enter_context(contextmanager(_simulator)(settings))
        rec = started.enter_context(contextmanager(_webhook_receiver)(mp, "storyblok_alerts_webhook"))
        name = started.enter_context(contextmanager(_schema)(engine))
        yield Shared(sim, rec, name, _warehouse_conn(warehouse_url, mp), _storyblok_conn(sim, mp))


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated Airflow metadata database (SQLite is enough for ``dag.test``: no scheduler runs)."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=os.environ)
    return Path(os.environ["AIRFLOW_HOME"])


class History:
    """Writes simulated traffic histories straight into a test schema."""

    AT = "2026-01-01T00:00:00+00:00"

    def __init__(self, engine: Engine, schema: str) -> None:
        from storyblok_traffic.warehouse.migrations import migrate

        self.engine, self.schema = engine, schema
        migrate(engine, schema)

    def _upsert(self, table: str, rows: list[dict[str, object]]) -> None:
        from sqlalchemy import text

        from storyblok_traffic.warehouse import tables
        from storyblok_traffic.warehouse.engine import begin
        from storyblok_traffic.warehouse.marks import note_change
        from storyblok_traffic.warehouse.writes import upsert

        with begin(self.engine, self.schema) as conn:
            upsert(conn, getattr(tables, table), [r | {"fetched_at": self.AT} for r in rows])
            # As the pipeline's writes do, later checks see the change (not before revision 0002: no marks).
            if conn.scalar(text("SELECT to_regclass(:t)"), {"t": f'"{self.schema}".evaluation_marks'}) is None:
                return
            for org in {str(r["org"]) for r in rows}:
                changed: list[date] = [r.get("day", r.get("as_of")) for r in rows if r["org"] == org]  # type: ignore[misc]
                note_change(conn, org, min(changed))

    def days(self, org: str, amounts: dict[date, int]) -> None:
        rows = [{"org": org, "day": d, "api_requests": n, "total_bytes": n * 10} for d, n in amounts.items()]
        self._upsert("org_traffic_daily", rows)

    def meters(self, org: str, amounts: dict[date, tuple[int, int | None]]) -> None:
        """Days with both meters given: (requests, bytes); bytes None: not reported yet."""
        rows: list[dict[str, object]] = [
            {"org": org, "day": d, "api_requests": n, "total_bytes": b} for d, (n, b) in amounts.items()
        ]
        self._upsert("org_traffic_daily", rows)

    def spaces(self, org: str, amounts: dict[tuple[str, date], int]) -> None:
        rows = [
            {"org": org, "space_id": s, "day": d, "api_requests": n, "total_bytes": n * 10}
            for (s, d), n in amounts.items()
        ]
        self._upsert("space_traffic_daily", rows)

    def files(self, org: str, day: date, served: dict[int, tuple[str, str, int, int]]) -> None:
        """A day of files' bytes as the file load writes it: asset id -> (filename, content type, size,
        bytes), in space 100007, with its answer kept (the day counts as stored, even with no file)."""
        from storyblok_traffic.assets import AssetBytes, AssetDay
        from storyblok_traffic.model import ASSETS_TRAFFIC
        from storyblok_traffic.warehouse.asset_writes import write_asset_day
        from storyblok_traffic.warehouse.engine import begin
        from storyblok_traffic.warehouse.writes import write_answer
        from storyblok_traffic.xcom import FetchedTraffic

        listed = {
            i: AssetBytes(
                id=i, filename=name, space_id="100007", total_bytes=size, content_type=kind, content_length=length
            )
            for i, (name, kind, length, size) in served.items()
        }
        fetched = FetchedTraffic(org, day, day, "day", datetime.now(UTC), "[]", ASSETS_TRAFFIC)
        with begin(self.engine, self.schema) as conn:
            write_asset_day(conn, org, AssetDay(day, listed))
            write_answer(conn, fetched)

    def limit(self, org: str, as_of: date, monthly: int, used: int = 0) -> None:
        row = {
            "org": org,
            "as_of": as_of,
            "monthly_traffic_limit": monthly,
            "yearly_traffic_limit": monthly * 12,
            "traffic_used_this_year": used,
            "requests_used_last_7_days": None,
        }
        self._upsert("usage_snapshots", [row])


@pytest.fixture
def history(engine: Engine, schema: str, warehouse_conn: str) -> History:
    return History(engine, schema)
