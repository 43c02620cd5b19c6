"""The same Airflow on the CeleryExecutor: API server, scheduler, dag-processor, triggerer and Celery workers.

With ``workers=0`` and the LocalExecutor's environment it is the LocalExecutor's stack, each component
on its own (the soak restarts the scheduler alone).

Each component is its own process group, as Airflow's compose file and Helm chart run them. Each
worker gets its own temp directory, throttle directory and log-server port, as if it ran on a host
of its own; what they share is what hosts share: the metadata database, the broker (Redis), and,
with ``STORYBLOK_THROTTLE_URL``, the Storyblok rate limit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from include.airflow_stack import AIRFLOW, STOP_GRACE_SECONDS, AirflowStack
from include.net import free_port

WORKER_NAME = "STORYBLOK_WORKER_HOSTNAME"


def worker_hostname() -> str:
    """Airflow's ``hostname_callable`` in this stack: the worker's own name, recorded on each task instance.

    Loopback addresses (127.0.0.1, 127.0.0.2, ...) tell the workers apart and still reach this host.
    """
    return os.environ.get(WORKER_NAME) or socket.getfqdn()


def celery_env(env: dict[str, str], broker_url: str) -> dict[str, str]:
    """``env`` (see ``airflow_env``) on the CeleryExecutor with ``broker_url``; results in the metadata DB."""
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    out = dict(env)
    out.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "include.celery_stack.worker_hostname",
            # A queue of this stack's own: the workers of another stack on the same broker (one left behind
            # by a killed run stole a backfill's tasks here, its runs queued for good) never take its tasks.
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": out.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE")
            or f"storyblok-{uuid.uuid4().hex[:8]}",
        }
    )
    return out


class CeleryStack(AirflowStack):
    """``AirflowStack`` with its components started one by one and ``workers`` Celery workers."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        workers: int = 2,
        concurrency: int = 8,
        components: tuple[str, ...] = ("scheduler", "dag-processor", "triggerer"),
    ) -> None:
        """``components``: besides the API server (the triggerer is needed only by deferrable tasks)."""
        super().__init__(env, log_dir / "airflow.log")
        self.components = components
        self.log_dir = log_dir
        self.workers = workers
        self.concurrency = concurrency
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._commands: dict[str, tuple[list[str], dict[str, str]]] = {}  # how each was started

    def start(self, pool_slots: int = 4, timeout: float = 240, migrate: bool = True) -> CeleryStack:
        """``migrate``: False for a metadata database copied from a migrated one."""
        if migrate:
            self.cli("db", "migrate")
        # The CLI, not set_pool: its first call writes airflow.cfg (and the JWT secret) before the
        # components below start at once; without it each wrote its own and tasks' tokens were refused.
        self.cli("pools", "set", "storyblok_api", str(pool_slots), "Storyblok Management API calls")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # All at once: each spends seconds importing Airflow, and none needs another to start. Tasks
        # report to the API server (AIRFLOW__CORE__EXECUTION_API_SERVER_URL): it is up before this returns.
        self._launch("api-server", ["api-server", "--port", str(self.port)], self.env)
        for name in self.components:
            self._launch(name, [name], self.env)
        self.start_workers()
        self._wait_for_api(timeout)
        return self

    def start_workers(self, env: dict[str, str] | None = None) -> None:
        """Start the workers, each as if on its own host; ``env``: theirs instead of the stack's."""
        for i in range(self.workers):
            name = f"worker{i + 1}"
            home = self.log_dir / name
            (home / "tmp").mkdir(parents=True, exist_ok=True)
            (home / "throttle").mkdir(parents=True, exist_ok=True)
            own = dict(env or self.env)
            own.update(
                {
                    "TMPDIR": str(home / "tmp"),
                    "STORYBLOK_THROTTLE_DIR": str(home / "throttle"),
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                    WORKER_NAME: f"127.0.0.{i + 1}",
                }
            )
            command = ["celery", "worker", "--concurrency", str(self.concurrency), "--celery-hostname"]
            self._launch(name, [*command, f"{name}@%h", "--without-mingle", "--without-gossip"], own)
        self._wait_for_workers()

    def stop_workers(self) -> None:
        self._stop([n for n in self._procs if n.startswith("worker")])

    def _wait_for_workers(self, timeout: float = 120) -> None:
        """Until every worker has logged that it is ready (a task sent before would wait in the broker anyway).

        Celery logs "<name> ready." once it consumes; each start rewrites the worker's log. (A
        ``celery inspect ping`` costs as much CPU as an ``airflow`` command: it imports all of Airflow.)
        """
        deadline = time.monotonic() + timeout
        workers = [n for n in self._procs if n.startswith("worker")]
        while time.monotonic() < deadline:
            dead = [n for n, p in self._procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited; see {self.log_dir}")
            if all(" ready." in (self.log_dir / f"{n}.log").read_text() for n in workers):
                return
            time.sleep(1)
        raise RuntimeError(f"the Celery workers were not ready in {timeout:.0f} s; see {self.log_dir}")

    def _launch(self, name: str, args: list[str], env: dict[str, str], mode: str = "w") -> None:
        self._commands[name] = (args, env)
        with (self.log_dir / f"{name}.log").open(mode) as log:
            self._procs[name] = subprocess.Popen(
                [AIRFLOW, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def exited(self) -> list[str]:
        """The components that are no longer running."""
        return [name for name, proc in self._procs.items() if proc.poll() is not None]

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and everything it started (a crash: a LocalExecutor scheduler's tasks go too)."""
        proc = self._procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def relaunch(self, name: str) -> None:
        """Start ``name`` again as it was started (after a crash), its log appended to."""
        self._launch(name, *self._commands[name], mode="a")

    def _wait_for_api(self, timeout: float) -> None:
        self._proc = self._procs["api-server"]
        super()._wait_for_api(timeout)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        self._stop(list(self._procs), grace)

    def _stop(self, names: list[str], grace: float = STOP_GRACE_SECONDS) -> None:
        procs = [self._procs.pop(n) for n in names]
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "-g", ",".join(str(p.pid) for p in self._procs.values())],
                             capture_output=True, text=True)  # fmt: skip
        return [int(p) for p in out.stdout.split()]
