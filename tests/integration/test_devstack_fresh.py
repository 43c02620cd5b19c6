"""``make run`` / ``make demo`` starting fresh: a new metadata database clears the task logs of an earlier stack."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from include import devstack


def task_log(logs: Path, dag_id: str = "storyblok_traffic") -> Path:
    """A task log where Airflow writes one (its default log_filename_template)."""
    path = logs / f"dag_id={dag_id}" / "run_id=scheduled__2026-12-04T00:00:00+00:00" / "task_id=fetch_traffic"
    path.mkdir(parents=True)
    (path / "attempt=1.log").write_text("a line of an earlier stack\n")
    return path / "attempt=1.log"


@pytest.fixture
def databases(postgres_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """The devstack's two databases under names of this test's own, dropped after it."""
    names = (f"devstack_meta_{uuid.uuid4().hex[:8]}", f"devstack_wh_{uuid.uuid4().hex[:8]}")
    monkeypatch.setattr(devstack, "METADATA_DB", names[0])
    monkeypatch.setattr(devstack, "WAREHOUSE_DB", names[1])
    yield names
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_new_metadata_database_clears_the_earlier_stacks_task_logs_once(postgres_server, databases, tmp_path, capsys):
    logs = tmp_path / "logs"
    earlier = task_log(logs)
    (logs / "dag_processor").mkdir()
    env = {"AIRFLOW_HOME": str(tmp_path)}
    devstack.use_databases(postgres_server, env)
    assert not earlier.exists()
    assert not (logs / "dag_id=storyblok_traffic").exists()
    assert (logs / "dag_processor").is_dir()  # the components' own logs stay
    said = capsys.readouterr().out
    assert f"a fresh start: the task logs of an earlier stack removed (1 DAG folder in {logs})" in said
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith(f"/{databases[0]}")
    assert env["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"].endswith(f"/{databases[1]}")

    # The next start finds its database: this stack's logs are kept.
    ours = task_log(logs)
    devstack.use_databases(postgres_server, {"AIRFLOW_HOME": str(tmp_path)})
    assert ours.read_text() == "a line of an earlier stack\n"
    assert "fresh start" not in capsys.readouterr().out


def test_a_metadata_database_of_the_users_own_is_no_fresh_start(postgres_server, databases, tmp_path):
    """The stack cannot know whether a database it was given is new: the logs stay."""
    earlier = task_log(tmp_path / "logs")
    env = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://elsewhere/x"}
    devstack.use_databases(postgres_server, env)
    assert earlier.exists()
