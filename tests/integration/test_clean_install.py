"""Installed where users run it (issue 25): a virtual environment outside the repository with only
Airflow and the built wheel, a DAG folder with the three-line file README shows, and the daily
pipeline run by ``airflow dags test`` against the simulator; the connection type is in ``airflow
providers list`` and the plugin loads without an import error."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.conftest import SIM_TODAY

ROOT = Path(__file__).resolve().parents[2]
# The DAG file a user writes. Airflow's safe mode skips a file without both "airflow" and "dag" in it.
DAG_FILE = (
    '"""Storyblok traffic DAGs for Airflow."""\n\n'
    "from storyblok_traffic.dags import daily_dags\n\n"
    "globals().update(daily_dags())\n"
)


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Airflow (the pinned constraints) and the wheel, nothing of the repository on its path."""
    where = tmp_path_factory.mktemp("clean")
    build = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(where / "dist"), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    python = where / "venv" / "bin" / "python"
    uv = Path(sys.executable).with_name("uv")
    wheel = next((where / "dist").glob("*.whl"))
    install = [str(uv), "pip", "install", "--quiet", "--python", str(python), "apache-airflow==3.3.2", str(wheel)]
    subprocess.run([*install, "-c", str(ROOT / "constraints.txt")], check=True, capture_output=True)
    return where


def _env(where: Path, schema: str) -> dict[str, str]:
    config = where / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\nstart_date: 2026-01-01\n")
    dags = where / "dags"
    dags.mkdir(exist_ok=True)
    (dags / "storyblok.py").write_text(DAG_FILE)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "PYTHON", "VIRTUAL_ENV"))}
    return keep | {
        "AIRFLOW_HOME": str(where / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(where / "plugins"),  # empty: the plugin comes from the wheel
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{where}/home/airflow.db",
        "STORYBLOK_TRAFFIC_CONFIG": str(config),
    }


def _run(where: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(where / "venv" / "bin" / args[0]), *args[1:]],
        cwd=where,  # not the repository: nothing of it is importable from here
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_wheel_alone_runs_the_daily_pipeline_from_a_three_line_dag_file(
    clean_venv, storyblok_conn, warehouse_conn, receiver, engine, schema
):
    env = _env(clean_venv, schema)
    assert DAG_FILE in (ROOT / "README.md").read_text()  # the file README shows, verbatim
    assert len([line for line in DAG_FILE.splitlines()[1:] if line]) <= 3  # a docstring, then three lines at most
    where = _run(clean_venv, env, "python", "-c", "import storyblok_traffic; print(storyblok_traffic.__file__)")
    assert "site-packages" in where.stdout
    assert str(ROOT) not in where.stdout
    _run(clean_venv, env, "airflow", "db", "migrate")
    _run(clean_venv, env, "storyblok-traffic", "db", "migrate")
    day = SIM_TODAY - timedelta(days=1)
    _run(clean_venv, env, "airflow", "dags", "test", "storyblok_traffic", str(day + timedelta(days=1)))
    with engine.connect() as conn:
        days = conn.execute(text(f'SELECT max(day) FROM "{schema}".org_traffic_daily')).scalar()
    assert days == day
    providers = _run(clean_venv, env, "airflow", "providers", "list", "--output", "plain").stdout
    assert "storyblok-traffic-monitor" in providers
    plugins = _run(clean_venv, env, "airflow", "plugins", "--output", "plain")
    assert "storyblok_usage" in plugins.stdout
    errors = _run(clean_venv, env, "airflow", "dags", "list-import-errors", "--output", "plain")
    assert "storyblok" not in errors.stdout
