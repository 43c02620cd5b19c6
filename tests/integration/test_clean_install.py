"""Installed where users run it (issue 25): a virtual environment outside the repository with only
Airflow and the built wheel, a DAG folder with the three-line file README shows, and the daily
pipeline run against the simulator; the connection type is in ``airflow providers list`` and the
plugin loads without an import error. On each supported minor: the current one (``constraints.txt``)
and the oldest (its own constraints set, which ``make lock`` writes).

The current minor runs the pipeline with ``airflow dags test``. Airflow 3.2.2's ``dags test`` fails
before the first task ("'State' object has no attribute 'svcs_registry'": its in-process execution
API serves a request before the API's lifespan has run; 3.3 waits for it), so on 3.2 the pipeline
runs as its users run it: a scheduler (``airflow standalone``) and a backfill of the day.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from include.airflow_stack import QUICK_STOP_SECONDS, AirflowStack
from include.net import free_port
from tests.integration.conftest import SIM_TODAY, create_database

ROOT = Path(__file__).resolve().parents[2]
# The DAG file a user writes. Airflow's safe mode skips a file without both "airflow" and "dag" in it.
DAG_FILE = (
    '"""Storyblok traffic DAGs for Airflow."""\n\n'
    "from storyblok_traffic.dags import daily_dags\n\n"
    "globals().update(daily_dags())\n"
)
DAY = SIM_TODAY - timedelta(days=1)


@dataclass(frozen=True)
class Minor:
    airflow: str  # the release installed
    constraints: Path
    scheduler: bool  # run the pipeline through a scheduler instead of ``airflow dags test``


# Every supported Airflow minor; pyproject.toml's floor is the oldest (test_the_floor_is_the_oldest_minor_tested).
MINORS = {
    "3.3": Minor("3.3.2", ROOT / "constraints.txt", scheduler=False),
    "3.2": Minor("3.2.2", ROOT / "include" / "constraints-airflow-3.2.txt", scheduler=True),
}


@dataclass(frozen=True)
class Installed:
    where: Path
    minor: Minor

    def command(self, name: str) -> str:
        return str(self.where / "venv" / "bin" / name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(dist), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True)
    return next(dist.glob("*.whl"))


@pytest.fixture(scope="module", params=sorted(MINORS, reverse=True))
def clean_venv(request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Airflow (one minor, its pinned constraints) and the wheel, nothing of the repository on its path."""
    minor = MINORS[request.param]
    where = tmp_path_factory.mktemp(f"clean-{request.param}")
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    uv = Path(sys.executable).with_name("uv")
    install = [str(uv), "pip", "install", "--quiet", "--python", str(where / "venv" / "bin" / "python")]
    install += [f"apache-airflow=={minor.airflow}", str(wheel), "-c", str(minor.constraints)]
    subprocess.run(install, check=True, capture_output=True)
    return Installed(where, minor)


def _env(where: Path, schema: str, start_date: str, metadata_url: str) -> dict[str, str]:
    config = where / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\nstart_date: {start_date}\n")
    dags = where / "dags"
    dags.mkdir(exist_ok=True)
    (dags / "storyblok.py").write_text(DAG_FILE)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "PYTHON", "VIRTUAL_ENV"))}
    return keep | {
        "AIRFLOW_HOME": str(where / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(where / "plugins"),  # empty: the plugin comes from the wheel
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "STORYBLOK_TRAFFIC_CONFIG": str(config),
        "PATH": f"{where / 'venv' / 'bin'}{os.pathsep}{keep.get('PATH', '')}",  # standalone starts `airflow`
    }


PROBE = """
import airflow, storyblok_traffic
from airflow.plugins_manager import get_plugin_info
from airflow.providers_manager import ProvidersManager
providers = ",".join(sorted(ProvidersManager().providers))
plugins = ",".join(sorted(p["name"] for p in get_plugin_info()))
print("probe:", airflow.__version__, storyblok_traffic.__file__, providers, plugins)
"""


def _run(installed: Installed, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [installed.command(args[0]), *args[1:]],
        cwd=installed.where,  # not the repository: nothing of it is importable from here
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _with_dags_test(installed: Installed, env: dict[str, str]) -> None:
    _run(installed, env, "airflow", "db", "migrate")
    _run(installed, env, "storyblok-traffic", "db", "migrate")
    _run(installed, env, "airflow", "dags", "test", "storyblok_traffic", str(DAY + timedelta(days=1)))


def _with_a_scheduler(installed: Installed, env: dict[str, str]) -> None:
    """``airflow standalone`` (LocalExecutor) and a backfill of the day."""
    port = free_port()
    env = env | {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }
    stack = AirflowStack(env, installed.where / "airflow.log", airflow=installed.command("airflow"))
    _run(installed, env, "storyblok-traffic", "db", "migrate")
    try:
        stack.start()
        stack.backfill("storyblok_traffic", DAY, DAY, max_active_runs=1)
        states = stack.wait_for_runs("storyblok_traffic", DAY, DAY, timeout=300)
        assert states == {"success": 1}, stack.log_path.read_text()[-3000:]
    finally:
        stack.stop(QUICK_STOP_SECONDS)


@pytest.fixture
def metadata_url(clean_venv: Installed, postgres_server: str) -> Iterator[str]:
    """SQLite for ``airflow dags test``; a Postgres database of its own under a scheduler (SQLite locks up)."""
    if not clean_venv.minor.scheduler:
        yield f"sqlite:///{clean_venv.where}/home/airflow.db"
        return
    name = f"meta_clean_{uuid.uuid4().hex[:8]}"
    create_database(postgres_server, name)
    yield postgres_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_wheel_alone_runs_the_daily_pipeline_from_a_three_line_dag_file(
    clean_venv, metadata_url, storyblok_conn, warehouse_conn, receiver, engine, schema
):
    installed = clean_venv
    # Through a scheduler, a start date of tomorrow leaves only the backfill's run (none of its own).
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    env = _env(installed.where, schema, str(tomorrow if installed.minor.scheduler else "2026-01-01"), metadata_url)
    assert DAG_FILE in (ROOT / "README.md").read_text()  # the file README shows, verbatim
    assert len([line for line in DAG_FILE.splitlines()[1:] if line]) <= 3  # a docstring, then three lines at most
    # What `airflow providers list` and `airflow plugins` read, in one process (each command imports all of Airflow).
    said = _run(installed, env, "python", "-c", PROBE).stdout.splitlines()
    _, version, package, providers, plugins = next(line for line in said if line.startswith("probe: ")).split()
    assert version == installed.minor.airflow
    assert "site-packages" in package
    assert str(ROOT) not in package
    assert "storyblok-traffic-monitor" in providers.split(",")
    assert "storyblok_usage" in plugins.split(",")

    if installed.minor.scheduler:
        _with_a_scheduler(installed, env)
    else:
        _with_dags_test(installed, env)
    with engine.connect() as conn:
        days = conn.execute(text(f'SELECT max(day) FROM "{schema}".org_traffic_daily')).scalar()
    assert days == DAY

    errors = _run(installed, env, "airflow", "dags", "list-import-errors", "--output", "plain")
    assert "storyblok" not in errors.stdout


def test_the_floor_is_the_oldest_minor_tested():
    """``pyproject.toml`` promises no Airflow this file does not install and run."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    airflow = next(d for d in project["dependencies"] if d.startswith("apache-airflow>"))
    assert airflow == f"apache-airflow>={min(MINORS, key=lambda m: tuple(map(int, m.split('.'))))},<4"
    for minor in MINORS.values():
        assert f"apache-airflow=={minor.airflow}\n" in minor.constraints.read_text()
