"""The local stack behind ``make run`` and ``make demo``.

Starts what is not configured: an embedded Postgres (metadata and warehouse), the Storyblok
simulator, a webhook receiver that prints alerts; then Airflow (``airflow standalone``: scheduler,
dag-processor, triggerer, API server with the UI) and a backfill of the last 30 days.
``run`` waits for Ctrl-C; ``demo`` waits for the backfill, prints a usage report and exits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from include.embedded_postgres import EmbeddedPostgres
from include.smtp_receiver import SmtpReceiver
from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator
from include.webhook_receiver import WebhookReceiver

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".devstack"
AIRFLOW_HOME = ROOT / ".airflow"
DAG_ID = "storyblok_traffic"
DAYS = int(os.environ.get("STORYBLOK_DEMO_DAYS", "30"))
UI = "http://localhost:8080"
# A small plan for the simulated organisation, so that a 30-day backfill crosses a threshold.
DEMO_MONTHLY_LIMIT = 120_000


def say(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def airflow(env: dict[str, str], *args: str, retry_while: str = "", wait: float = 120) -> str:
    """Run an airflow CLI command; retry while its error contains ``retry_while``."""
    deadline = time.monotonic() + wait
    while True:
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "airflow"), *args], env=env, capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return result.stdout
        if not retry_while or retry_while not in result.stderr or time.monotonic() > deadline:
            raise SystemExit(f"airflow {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        time.sleep(5)


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(AIRFLOW_HOME),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@contextmanager
def services(env: dict[str, str]) -> Iterator[None]:
    """Start what the environment does not already point at; stop it all on exit."""
    with ExitStack() as stack:
        needs_db = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env or "AIRFLOW_CONN_STORYBLOK_WAREHOUSE" not in env
        if needs_db:
            pg = EmbeddedPostgres(STATE / "pg").start()
            stack.callback(pg.stop)
            _create_databases(pg.url, "airflow", "storyblok")
            root = pg.url.rsplit("/", 1)[0]
            env.setdefault(
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                f"{root.replace('postgresql', 'postgresql+psycopg')}/airflow",
            )
            env.setdefault("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", f"{root.replace('postgresql', 'postgres')}/storyblok")
            say(f"embedded Postgres on {root} (data in {STATE / 'pg'})")
        if "AIRFLOW_CONN_STORYBLOK_DEFAULT" not in env:
            sim = StoryblokSimulator(SimulatorSettings(monthly_limit=DEMO_MONTHLY_LIMIT)).start()
            stack.callback(sim.stop)
            env["AIRFLOW_CONN_STORYBLOK_DEFAULT"] = json.dumps(
                {"conn_type": "storyblok", "host": sim.url, "password": sim.settings.token}
            )
            say(f"Storyblok simulator on {sim.url} (no real token configured)")
        if "AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK" not in env:
            receiver = WebhookReceiver(echo=True).start()
            stack.callback(receiver.stop)
            env["AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK"] = json.dumps({"conn_type": "http", "host": receiver.url})
            say(f"alerts go to a local webhook receiver on {receiver.url}; they are printed here")
        if "STORYBLOK_TRAFFIC_CONFIG" not in env:
            mail = SmtpReceiver(echo=True).start()
            stack.callback(mail.stop)
            extra = {"disable_tls": True, "disable_ssl": True, "from_email": "monitor@localhost", "retry_limit": 0}
            env["AIRFLOW_CONN_SMTP_DEVSTACK"] = json.dumps(
                {"conn_type": "smtp", "host": mail.host, "port": mail.port, "extra": extra}
            )
            env["STORYBLOK_TRAFFIC_CONFIG"] = str(_demo_config())
            say(f"alert emails go to a local SMTP server on {mail.host}:{mail.port}; their subjects are printed here")
        yield


def _demo_config() -> Path:
    """Slack-style webhook and email; a lookback as long as the backfill, so the demo's history announces."""
    STATE.mkdir(exist_ok=True)
    path = STATE / "monitor.yaml"
    path.write_text(
        "channels:\n"
        "  - {name: slack, type: slack, conn_id: storyblok_alerts_webhook}\n"
        "  - {name: email, type: email, conn_id: smtp_devstack, to: [platform@localhost]}\n"
        "organisations:\n"
        f"  - conn_id: storyblok_default\n    alert_lookback_days: {DAYS + 1}\n"
    )
    return path


def _create_databases(url: str, *names: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def standalone(env: dict[str, str]) -> Iterator[None]:
    STATE.mkdir(exist_ok=True)
    say("migrating the Airflow metadata database")
    airflow(env, "db", "migrate")
    airflow(env, "pools", "set", "storyblok_api", "4", "Storyblok Management API calls")
    log = (STATE / "airflow.log").open("w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "airflow"), "standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_ui(proc)
        yield
    finally:
        say("stopping Airflow")
        _stop(proc)
        log.close()


def _wait_for_ui(proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"airflow standalone exited; see {STATE / 'airflow.log'}")
        try:
            with urllib.request.urlopen(f"{UI}/api/v2/monitor/health", timeout=2):
                return
        except OSError:
            time.sleep(2)
    raise SystemExit(f"the Airflow UI did not come up in {timeout:.0f} s; see {STATE / 'airflow.log'}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)  # standalone stops its components cleanly on Ctrl-C
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def backfill(env: dict[str, str]) -> tuple[date, date]:
    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=DAYS), today - timedelta(days=1)
    airflow(env, "dags", "reserialize")
    airflow(env, "dags", "unpause", DAG_ID)
    say(f"backfilling {DAG_ID} from {first} to {last}")
    airflow(
        env, "backfill", "create", "--dag-id", DAG_ID, "--from-date", str(first), "--to-date", str(last),
        "--max-active-runs", "8", "--reprocess-behavior", "failed",
        # a backfill left open by an earlier stop is closed by the scheduler within about 30 s
        retry_while="AlreadyRunningBackfill",
    )  # fmt: skip
    return first, last


def wait_for_runs(env: dict[str, str], first: date, last: date, timeout: float = 900) -> dict[str, int]:
    """Run states of the backfilled days, once none is queued or running."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    query = text(
        "SELECT state, count(*) FROM dag_run WHERE dag_id = :dag AND logical_date >= :first "
        "AND logical_date < :end GROUP BY state"
    )
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                params = {"dag": DAG_ID, "first": first, "end": last + timedelta(days=1)}
                states = {str(s): int(n) for s, n in conn.execute(query, params)}
            done = states.get("success", 0) + states.get("failed", 0)
            if done >= (last - first).days + 1 or time.monotonic() > deadline:
                return states
            time.sleep(3)
    finally:
        engine.dispose()


def report(env: dict[str, str], as_of: date) -> str:
    from storyblok_traffic.config import load_config
    from storyblok_traffic.report import usage_report
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    os.environ.update({k: v for k, v in env.items() if k.startswith("AIRFLOW_CONN_")})
    config = load_config()
    with warehouse_transaction(config.warehouse_conn_id, config.warehouse_schema) as conn:
        return usage_report(conn, config.organisations[0].org, as_of)


def login_hint() -> str:
    passwords = AIRFLOW_HOME / "simple_auth_manager_passwords.json.generated"
    try:
        users = json.loads(passwords.read_text())
        return ", ".join(f"user {u} / password {p}" for u, p in users.items())
    except (OSError, ValueError):
        return f"see {passwords}"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(mode: str) -> int:
    # Ctrl-C and `kill` both unwind the stack below, which stops Airflow, the simulator and Postgres;
    # SIGINT is set explicitly because a shell that starts us in the background ignores it.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    env = base_env()
    started = time.monotonic()
    with services(env), standalone(env):
        say(f"Airflow UI: {UI} ({login_hint()})")
        first, last = backfill(env)
        if mode == "run":
            say("running; Ctrl-C stops everything")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        states = wait_for_runs(env, first, last)
        say(f"backfill finished in {time.monotonic() - started:.0f} s: runs by state {states}")
        print("\n" + report(env, last) + "\n", flush=True)
        return 0 if states.get("success", 0) == (last - first).days + 1 else 1


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "run"
    if mode not in ("run", "demo"):
        raise SystemExit("usage: python -m include.devstack run|demo")
    sys.exit(main(mode))
