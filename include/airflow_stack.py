"""``airflow standalone`` in a given home, on a given port: start, run CLI commands, backfill, wait, stop.

Used by the dev stack (``make run`` / ``make demo``), the real-scheduler backfill test and the
benchmarks. The metadata database must be Postgres whenever a scheduler runs (SQLite locks up).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from include.net import free_port

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(ROOT / ".venv" / "bin" / "airflow")
# Airflow 3.3.2 reads .airflowignore files with pathspec's GitWildMatchPattern, deprecated since
# pathspec 1.0 (which mypy needs here): without this every task log starts with that warning.
QUIET_PATHSPEC = "ignore:GitWildMatchPattern:DeprecationWarning"
STOP_GRACE_SECONDS = 10
# A stack stopped once its results are read (a test's, the soak's): nothing it runs needs a clean end.
QUICK_STOP_SECONDS = 2


def airflow_env(home: Path, metadata_url: str, port: int = 8080, parallelism: int = 8) -> dict[str, str]:
    """The environment of an Airflow with this project's DAGs and plugins, LocalExecutor, no examples."""
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__API__PORT": str(port),
            # The log servers on ports of their own: two stacks on one machine (tests side by side) never meet.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
            "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "PYTHONWARNINGS": ",".join(filter(None, [env.get("PYTHONWARNINGS"), QUIET_PATHSPEC])),
        }
    )
    return env


class AirflowStack:
    def __init__(self, env: dict[str, str], log_path: Path, airflow: str = AIRFLOW) -> None:
        """``airflow``: the command of another installation (a clean virtual environment's, say)."""
        self.env = env
        self.log_path = log_path
        self.airflow = airflow
        self.port = int(env.get("AIRFLOW__API__PORT", "8080"))
        self._proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, retry_while: str = "", wait: float = 120) -> str:
        """Run an airflow CLI command; retry while its error contains ``retry_while``."""
        deadline = time.monotonic() + wait
        while True:
            result = subprocess.run([self.airflow, *args], env=self.env, capture_output=True, text=True, check=False)
            if result.returncode == 0:
                return result.stdout
            if not retry_while or retry_while not in result.stderr or time.monotonic() > deadline:
                raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stderr[-3000:]}")
            time.sleep(5)

    def start(self, pool_slots: int = 4, timeout: float = 240, migrate: bool = True) -> AirflowStack:
        """``migrate``: False for a metadata database copied from a migrated one."""
        if migrate:
            self.cli("db", "migrate")
        self.set_pool("storyblok_api", pool_slots, "Storyblok Management API calls")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("a")  # appended: an earlier start's log is what explains its stop
        log.write(f"\n===== airflow standalone starting at {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC =====\n")
        log.flush()
        self._proc = subprocess.Popen(
            [self.airflow, "standalone"], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self._wait_for_api(timeout)
        return self

    def _wait_for_api(self, timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"airflow standalone exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://localhost:{self.port}/api/v2/monitor/health", timeout=2):
                    return
            except OSError:
                time.sleep(2)
        raise RuntimeError(f"the Airflow API did not come up in {timeout:.0f} s; see {self.log_path}")

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGINT, and SIGKILL for what is left after ``grace`` seconds."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGINT)  # standalone stops its components cleanly on Ctrl-C
        # They are done within a second or two. What is left after that hangs: after a backfill the
        # scheduler waits for its idle LocalExecutor workers and standalone for it (seen here: each
        # stop took the whole 40 s this waited before).
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def pids(self) -> list[int]:
        """The standalone process and everything it started (for memory sampling)."""
        if self._proc is None:
            return []
        out = subprocess.run(["ps", "-o", "pid=", "-g", str(self._proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    # Each ``airflow`` command costs 7 to 9 s of CPU here (it imports all of Airflow): what a test
    # needs of the metadata database and the API is done in SQL and HTTP instead, seconds less each.
    def _sql(self, query: str, params: dict[str, object] | None = None) -> list[tuple[object, ...]]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        try:
            with engine.begin() as conn:
                result = conn.execute(text(query), params or {})
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def set_pool(self, name: str, slots: int, description: str) -> None:
        """What ``airflow pools set`` writes: the pool, created or resized."""
        self._sql(
            "INSERT INTO slot_pool (pool, slots, description, include_deferred) VALUES (:name, :slots, :text, false) "
            "ON CONFLICT (pool) DO UPDATE SET slots = EXCLUDED.slots, description = EXCLUDED.description",
            {"name": name, "slots": slots, "text": description},
        )

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Until the dag-processor has serialized ``dag_id``."""
        deadline = time.monotonic() + timeout
        query = "SELECT 1 FROM dag JOIN serialized_dag USING (dag_id) WHERE dag_id = :dag"
        while not self._sql(query, {"dag": dag_id}):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{dag_id} was not serialized in {timeout:.0f} s; see {self.log_path}")
            time.sleep(1)

    def unpause(self, dag_id: str) -> None:
        """What ``dags unpause`` does, without starting a process."""
        self._sql("UPDATE dag SET is_paused = false WHERE dag_id = :dag", {"dag": dag_id})

    def api(self, method: str, path: str, body: dict[str, object] | None = None) -> tuple[int, str]:
        """One call of Airflow's REST API as the admin whose password standalone generated."""
        import requests

        home = Path(self.env["AIRFLOW_HOME"])
        passwords = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())
        user = "admin" if "admin" in passwords else next(iter(passwords))
        base = f"http://localhost:{self.port}"
        login = requests.post(f"{base}/auth/token", json={"username": user, "password": passwords[user]}, timeout=30)
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        answer = requests.request(method, f"{base}{path}", json=body, headers=headers, timeout=60)
        return answer.status_code, answer.text

    def backfill(self, dag_id: str, first: date, last: date, max_active_runs: int = 8, reprocess: str = "none") -> None:
        """What ``airflow backfill create`` does, through the REST API, then the DAG unpaused; ``reprocess``:
        ``failed`` runs the days whose runs failed again, ``none`` leaves every day that has a run;
        ``max_active_runs=1``: the days one at a time, in date order."""
        self.wait_for_dag(dag_id)
        body: dict[str, object] = {
            "dag_id": dag_id,
            "from_date": f"{first}T00:00:00Z",
            "to_date": f"{last}T00:00:00Z",
            "max_active_runs": max_active_runs,
            "reprocess_behavior": reprocess,
        }
        deadline = time.monotonic() + 120
        while True:
            status, text = self.api("POST", "/api/v2/backfills", body)
            if status in (200, 201):
                # Unpaused only now that the backfill's runs exist: a scheduled run of the newest day made
                # before them would run beside them, out of the backfill's order.
                self.unpause(dag_id)
                return
            # a backfill left open by an earlier stop is closed by the scheduler within about 30 s
            if status != 409 or time.monotonic() > deadline:
                raise RuntimeError(f"creating the backfill of {dag_id} failed: {status} {text[-2000:]}")
            time.sleep(5)

    def trigger(self, dag_id: str, run_id: str, conf: str) -> None:
        self.cli("dags", "reserialize")
        self.cli("dags", "unpause", dag_id)
        self.cli("dags", "trigger", dag_id, "--run-id", run_id, "--conf", conf)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 900) -> str:
        """The state of one run, once it is finished (or at the timeout)."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        query = text("SELECT state FROM dag_run WHERE dag_id = :dag AND run_id = :run")
        deadline = time.monotonic() + timeout
        try:
            while True:
                with engine.connect() as conn:
                    state = str(conn.scalar(query, {"dag": dag_id, "run": run_id}))
                if state in ("success", "failed") or time.monotonic() > deadline:
                    return state
                time.sleep(2)
        finally:
            engine.dispose()

    def run_states(self, dag_id: str, first: date, last: date) -> dict[str, int]:
        """How many runs of the days ``first``..``last`` are in each state, now."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        query = text(
            "SELECT state, count(*) FROM dag_run WHERE dag_id = :dag AND logical_date >= :first "
            "AND logical_date < :end GROUP BY state"
        )
        try:
            with engine.connect() as conn:
                params = {"dag": dag_id, "first": first, "end": last + timedelta(days=1)}
                return {str(s): int(n) for s, n in conn.execute(query, params)}
        finally:
            engine.dispose()

    def wait_for_runs(self, dag_id: str, first: date, last: date, timeout: float = 900) -> dict[str, int]:
        """Run states of the days ``first``..``last``, once none is queued or running (or at the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.run_states(dag_id, first, last)
            if finished(states) >= (last - first).days + 1 or time.monotonic() > deadline:
                return states
            time.sleep(2)


def finished(states: dict[str, int]) -> int:
    """How many of the runs counted by ``run_states`` are done, either way."""
    return states.get("success", 0) + states.get("failed", 0)
