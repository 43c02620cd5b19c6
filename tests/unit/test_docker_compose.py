"""docker-compose.yaml is not started here (no Docker engine): check that it parses and says what it should."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from include.airflow_stack import QUIET_PATHSPEC

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_services(compose):
    assert set(compose["services"]) == AIRFLOW_SERVICES | {"postgres", "redis", "storyblok-simulator"}
    assert compose["services"]["storyblok-simulator"]["profiles"] == ["simulator"]
    assert compose["services"]["airflow-apiserver"]["ports"] == ["8080:8080"]


def test_airflow_services_share_image_mounts_and_connections(compose):
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert service["build"]["dockerfile"] == "docker/Dockerfile"
        mounts = {m.split(":")[1] for m in service["volumes"]}
        assert "/opt/airflow/dags" in mounts, name
        assert not mounts & {"/opt/airflow/plugins", "/opt/airflow/include"}, name  # the package is the wheel
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"].startswith("postgres://")
        assert '"conn_type": "storyblok"' in env["AIRFLOW_CONN_STORYBLOK_DEFAULT"]
        assert env["PYTHONWARNINGS"] == QUIET_PATHSPEC  # the same filter as the tested stack


def test_files_it_names_exist(compose):
    common = compose["services"]["airflow-scheduler"]
    simulator = compose["services"]["storyblok-simulator"]
    for mount in common["volumes"] + compose["services"]["postgres"]["volumes"] + simulator["volumes"]:
        source = mount.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), source
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "FROM apache/airflow:3.3.2-python3.11" in dockerfile
    assert "-c /opt/storyblok/constraints.txt" in dockerfile
    final = dockerfile.rsplit("\nFROM ", 1)[1]  # the image's own stage: the built wheel, not the source tree
    assert "pip install --no-cache-dir --no-deps /opt/storyblok/dist/*.whl" in final
    assert "plugins" not in final
    assert "storyblok_api" in compose["services"]["airflow-init"]["command"][1]
    assert "storyblok-traffic db migrate" in compose["services"]["airflow-init"]["command"][1]


def test_config_file_it_mounts_is_valid():
    from storyblok_traffic.config import load_config

    config = load_config(ROOT / "docker" / "storyblok_traffic.yaml")
    assert [o.dag_id for o in config.organisations] == ["storyblok_traffic"]


def test_the_workers_scale_and_share_the_tested_stacks_environment(compose):
    from include.celery_stack import celery_env

    worker = compose["services"]["airflow-worker"]
    assert worker["command"] == "celery worker"
    assert "container_name" not in worker  # `docker compose up --scale airflow-worker=3`
    assert "ports" not in worker
    env = worker["environment"]
    tested = celery_env(
        {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]}, "redis://x"
    )
    for name in ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CELERY__RESULT_BACKEND"):
        assert env[name] == tested[name], name
    broker, throttle = env["AIRFLOW__CELERY__BROKER_URL"], env["STORYBLOK_THROTTLE_URL"]
    assert broker.startswith("redis://")
    assert throttle.startswith("redis://")
    assert broker.rsplit("/", 1)[0] == throttle.rsplit("/", 1)[0]  # the broker's Redis, another database
    assert broker != throttle
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith("/execution/")
