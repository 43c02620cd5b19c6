"""The chaos soak (``make soak``): days of the daily DAG through a real scheduler while everything fails.

The simulator draws faults at random by rate (429 with and without ``Retry-After``, 503, answers
slower than the read timeout, answers cut short, a 401 that passes); the soak kills running task
processes (SIGKILL) at random, restarts Postgres (a crash: immediate stop), Redis and the scheduler
(SIGKILL) once each, and restarts any Airflow component that dies, as a container runtime would.
When every run has ended, it clears the failed ones as ``docs/operations.md`` says (the 401 has
passed), then runs the same days without faults, in order, into another schema with receivers of
their own, and compares: the warehouse by checksum, and what every channel received.

Its own Postgres (warehouse and Airflow's metadata) and Redis (broker and shared rate limit): the
machine's servers are never restarted. Run: ``python -m include.soak --days 120 --executor local``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import psycopg

from include.airflow_stack import QUICK_STOP_SECONDS, airflow_env, finished
from include.celery_stack import CeleryStack, celery_env
from include.embedded_postgres import EmbeddedPostgres
from include.net import free_port
from include.smtp_receiver import SmtpReceiver
from include.storyblok_simulator import CHAOS_KINDS, SimulatorSettings, StoryblokSimulator
from include.webhook_receiver import WebhookReceiver

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from storyblok_traffic.config import MonitorConfig

T = TypeVar("T")
DAG_ID = "storyblok_traffic"
SCHEMA, CLEAN_SCHEMA = "storyblok", "storyblok_clean"
# Per request; about one request in six fails, one in a hundred with a 401 that fails its run.
FAULT_RATES: tuple[tuple[str, float], ...] = (
    ("429 Retry-After", 0.04),
    ("429 bare", 0.04),
    ("503", 0.03),
    ("slow", 0.02),
    ("truncated", 0.03),
    ("401", 0.01),
)
LIVENESS_SECONDS = 90  # a component without a job heartbeat for this long is restarted
READ_TIMEOUT = 2.0  # the connection's: a "slow" answer (3 s) outlasts it
# The title Airflow's task runner gives each task process: "airflow worker -- <task instance id>"
# (the LocalExecutor's own workers are "airflow worker -- LocalExecutor: ...": never killed).
TASK_TITLE = re.compile(rb"^airflow worker -- [0-9a-f]{8}-[0-9a-f]{4}-")


@dataclass
class SoakSettings:
    workdir: Path
    days: int = 120
    executor: str = "local"  # or "celery": two workers
    seed: int = 1
    fault_rates: tuple[tuple[str, float], ...] = FAULT_RATES
    kill_every: float = 30.0  # mean seconds between SIGKILLs of a running task process
    max_kills: int = 1_000
    max_active_runs: int = 8
    timeout: float = 3600.0  # for the runs to end, each round
    monthly_limit: int = 400_000  # the simulator's: its organisation crosses thresholds every month
    metadata_url: str | None = None  # a migrated Airflow metadata database; None: one on the soak's Postgres


@dataclass
class SoakResult:
    executor: str
    days: int
    runs: dict[str, int] = field(default_factory=dict)  # run states at the end
    failed_then_cleared: int = 0
    faults: dict[str, int] = field(default_factory=dict)  # injected, by kind
    kills: int = 0
    restarts: dict[str, int] = field(default_factory=dict)  # by what: postgres, redis, scheduler, and crashes
    task_retries: int = 0
    wall_seconds: float = 0.0
    tables_equal: dict[str, bool] = field(default_factory=dict)
    notices: dict[str, int] = field(default_factory=dict)  # received per channel (alerts, not failures)
    duplicates: dict[str, int] = field(default_factory=dict)  # per channel
    losses: dict[str, int] = field(default_factory=dict)  # per channel: in the clean run, not in the soak's
    failure_notices: dict[str, int] = field(default_factory=dict)  # incidents' notices, per channel
    incidents: tuple[int, int] = (0, 0)  # pipeline incidents opened, and resolved
    watchdog: str = ""
    differences: list[str] = field(default_factory=list)  # notices lost, or not in the clean run

    @property
    def passed(self) -> bool:
        return (
            all(self.tables_equal.values())
            and not any(self.losses.values())
            and self.runs == {"success": self.days}
            and self.watchdog.startswith("ok")
            # each incident told on every channel opened and working again (a send whose record a crash
            # rolled back is sent again: at least once, as every notice), and none left open
            and all(n >= 2 * self.incidents[0] for n in self.failure_notices.values())
            and self.incidents[0] == self.incidents[1]
        )

    def table(self) -> str:
        rows = [
            ("executor", self.executor),
            ("runs", f"{self.days} days: " + ", ".join(f"{n} {s}" for s, n in sorted(self.runs.items()))),
            ("failed, then cleared", str(self.failed_then_cleared)),
            (
                "faults injected",
                ", ".join(f"{k} {n}" for k, n in self.faults.items()) + f" ({sum(self.faults.values())})",
            ),
            ("task processes killed (SIGKILL)", str(self.kills)),
            ("restarts", ", ".join(f"{k} {n}" for k, n in self.restarts.items())),
            ("task retries", str(self.task_retries)),
            ("wall time", f"{self.wall_seconds / 60:.1f} min"),
            ("warehouse = clean run (checksum)", _equality(self.tables_equal)),
            ("notices received", ", ".join(f"{c} {n}" for c, n in self.notices.items())),
            ("duplicates", ", ".join(f"{c} {n}" for c, n in self.duplicates.items())),
            ("losses", ", ".join(f"{c} {n}" for c, n in self.losses.items())),
            ("incidents (opened, resolved)", f"{self.incidents[0]}, {self.incidents[1]}"),
            (
                "incident notices (opened and working again; beyond 2 per incident: sent again)",
                ", ".join(f"{c} {n}" for c, n in self.failure_notices.items()),
            ),
            ("watchdog", self.watchdog),
            ("verdict", "PASS" if self.passed else "FAIL"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join([*(f"| {k.ljust(width)} | {v} |" for k, v in rows), *self.differences])


def _equality(tables: dict[str, bool]) -> str:
    differ = [name for name, same in tables.items() if not same]
    if differ:
        return "DIFFER: " + ", ".join(differ)
    return f"all {len(tables)} tables equal (raw_responses, the answers as asked for, not compared)"


class RedisServer:
    """A redis-server of the soak's own, appending to disk as a broker's should, restartable."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> RedisServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        with (self.dir / "redis.log").open("a") as log:
            self._proc = subprocess.Popen([*command, "--save", "", "--appendonly", "yes"], stdout=log, stderr=log)
        from redis import Redis

        deadline = time.monotonic() + 30
        while True:
            try:
                Redis.from_url(self.url).ping()
                return self
            except Exception:  # not up yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start; see {self.dir / 'redis.log'}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(30)


class Chaos:
    """The soak's hand: SIGKILLs task processes at random, restarts servers, revives dead components."""

    def __init__(self, stack: CeleryStack, postgres: EmbeddedPostgres, redis: RedisServer, settings: SoakSettings):
        self.stack, self.postgres, self.redis, self.s = stack, postgres, redis, settings
        self.rng = random.Random(settings.seed)
        self.kills = 0
        self.restarts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos", daemon=True)
        self._next_kill = time.monotonic() + self.rng.expovariate(1 / settings.kill_every)
        self._next_probe = time.monotonic()
        self._started: dict[str, float] = {}  # when the soak last started a component (for the liveness grace)

    def __enter__(self) -> Chaos:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(1):
            # when it is time and no task runs, the next one that does is killed
            if self.kills < self.s.max_kills and time.monotonic() >= self._next_kill and self.kill_a_task():
                self._next_kill = time.monotonic() + self.rng.expovariate(1 / self.s.kill_every)
            self.revive()

    def kill_a_task(self) -> bool:
        tasks = task_processes()
        if not tasks:
            return False
        os.kill(self.rng.choice(tasks), signal.SIGKILL)
        self.kills += 1
        return True

    def restart_postgres(self) -> None:
        self.postgres.stop("immediate")  # a crash: recovery on start
        time.sleep(2)
        self.postgres.start()
        self.restarts["postgres"] += 1

    def restart_redis(self) -> None:
        self.redis.stop()
        time.sleep(2)
        self.redis.start()
        self.restarts["redis"] += 1

    def restart_scheduler(self) -> None:
        self.stack.kill("scheduler")  # a crash, with its LocalExecutor's task processes
        self._relaunch("scheduler", "scheduler")

    def _relaunch(self, name: str, counted_as: str) -> None:
        self.stack.relaunch(name)
        self._started[name] = time.monotonic()  # its liveness grace starts again
        self.restarts[counted_as] += 1

    def revive(self) -> None:
        """Start again any component that exited or stopped heartbeating, as Kubernetes' liveness probes
        would (Airflow's chart probes each with ``airflow jobs check``): a database restart ends some
        and leaves the scheduler hanging on its way out, waiting for idle LocalExecutor workers."""
        for name in self.stack.exited():
            self._relaunch(name, f"{name} (died)")
        if time.monotonic() < self._next_probe:
            return
        self._next_probe = time.monotonic() + 15
        for name in self._hung():
            self.stack.kill(name)
            self._relaunch(name, f"{name} (hung)")

    def _hung(self) -> list[str]:
        """The components started over ``LIVENESS_SECONDS`` ago whose newest job heartbeat is older than that."""
        try:
            rows = self.stack._sql(
                "SELECT job_type, extract(epoch FROM now() - max(latest_heartbeat)) FROM job "
                "WHERE state = 'running' GROUP BY job_type"
            )
        except Exception:  # the metadata database is down: nothing can be told
            return []
        ages = {str(kind): float(age) for kind, age in rows}  # type: ignore[arg-type]
        hung = []
        for name, kind in (("scheduler", "SchedulerJob"), ("dag-processor", "DagProcessorJob")):
            started = self._started.setdefault(name, time.monotonic())
            if time.monotonic() - started > LIVENESS_SECONDS and ages.get(kind, 1e9) > LIVENESS_SECONDS:
                hung.append(name)
        return hung


def task_processes() -> list[int]:
    """Pids of the running task processes (by their title)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if TASK_TITLE.match(title):
                found.append(int(entry.name))
    return found


def monitor_yaml(schema: str, today: date) -> str:
    """The default lookback (the catch-up tells the present once, whatever order the faults leave the runs
    in), three channels, no run scheduled by itself. Without the file load (``asset_traffic``): a notice
    names the files stored when it became due, so a load that failed then makes it differ from a clean
    run's; the soak's verdict for it is still to be defined."""
    return f"""\
warehouse_schema: {schema}
start_date: {today + timedelta(days=1)}
organisations:
  - conn_id: storyblok_default
    asset_traffic: false
channels:
  - {{name: slack, type: slack, conn_id: soak_slack}}
  - {{name: json, type: webhook, conn_id: soak_json}}
  - {{name: email, type: email, conn_id: soak_smtp, to: [ops@example.com]}}
"""


@dataclass
class Receivers:
    slack: WebhookReceiver
    json: WebhookReceiver
    email: SmtpReceiver

    def connections(self) -> dict[str, str]:
        smtp_extra = {"disable_tls": True, "disable_ssl": True, "from_email": "soak@example.com", "retry_limit": 0}
        return {
            "AIRFLOW_CONN_SOAK_SLACK": json.dumps({"conn_type": "http", "host": self.slack.url}),
            "AIRFLOW_CONN_SOAK_JSON": json.dumps({"conn_type": "http", "host": self.json.url}),
            "AIRFLOW_CONN_SOAK_SMTP": json.dumps(
                {"conn_type": "smtp", "host": self.email.host, "port": self.email.port, "extra": smtp_extra}
            ),
        }

    def received(self) -> dict[str, list[str]]:
        """What each channel received, one text per message (an email: its HTML part, as `to_html` makes it)."""
        return {
            "slack": self.slack.texts(),
            "json": [str(m.get("text")) for m in self.json.messages],
            "email": [e.body for e in self.email.emails],
        }

    def notices_by_text(self) -> dict[str, list[tuple[str, ...]]]:
        """Each JSON message's text (and its email form) -> the notices it carries, by their key."""
        from storyblok_traffic.notifications.senders import to_html

        found: dict[str, list[tuple[str, ...]]] = {}
        for message in self.json.messages:
            keys = [_notice_key(alert) for alert in message.get("alerts") or []]
            found[str(message.get("text"))] = found[to_html(str(message.get("text")))] = keys
        return found


# A notice's key: what was crossed, not its figures. Checks in another order know other days when they
# tell it: a notice that waited while later days were checked is told once with the newer figures, and
# one found before earlier days were stored says "by" the day it was known (its row is corrected later).
NOTICE_FIELDS = ("period", "period_start", "kind", "meter", "event", "threshold")


def _notice_key(alert: dict[str, object]) -> tuple[str, ...]:
    return tuple(str(alert.get(name)) for name in NOTICE_FIELDS)


@contextmanager
def receivers() -> Iterator[Receivers]:
    with ExitStack() as started:
        slack, hooks, mail = WebhookReceiver().start(), WebhookReceiver().start(), SmtpReceiver().start()
        for server in (slack, hooks, mail):
            started.callback(server.stop)
        yield Receivers(slack, hooks, mail)


def run_soak(settings: SoakSettings) -> SoakResult:
    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=settings.days), today - timedelta(days=1)
    work = settings.workdir
    work.mkdir(parents=True, exist_ok=True)
    result = SoakResult(settings.executor, settings.days)
    spike = (2, today - timedelta(days=6), today - timedelta(days=4))
    sim_settings = SimulatorSettings(today=today, monthly_limit=settings.monthly_limit, spaces=12, spikes=(spike,))
    with ExitStack() as started:
        postgres = EmbeddedPostgres(work / "postgres").start()
        started.callback(postgres.stop)
        redis = RedisServer(work / "redis").start()
        started.callback(redis.stop)
        simulator = StoryblokSimulator(
            replace(sim_settings, fault_rates=settings.fault_rates, fault_seed=settings.seed)
        )
        started.callback(simulator.start().stop)
        soak_receivers = started.enter_context(receivers())
        warehouse = _database(postgres.url, "warehouse")
        env = _stack_env(settings, work, postgres, redis, simulator, soak_receivers, warehouse, today)
        workers = 2 if settings.executor == "celery" else 0
        # No triggerer: the DAG defers nothing (one Airflow process fewer to start and restart).
        stack = CeleryStack(env, work / "airflow-logs", workers, components=("scheduler", "dag-processor"))
        began = time.monotonic()
        stack.start(pool_slots=8, migrate=settings.metadata_url is None)
        started.callback(stack.stop)
        with Chaos(stack, postgres, redis, settings) as chaos:
            stack.backfill(DAG_ID, first, last, max_active_runs=settings.max_active_runs)
            _wait(stack, first, last, settings.timeout, chaos)
        # The incident is over (the faults go on, the kills and restarts do not): the operator clears.
        result.failed_then_cleared = _clear_failed(stack, simulator, first, last, settings.timeout)
        result.wall_seconds = time.monotonic() - began
        result.runs = _quiet(lambda: stack.run_states(DAG_ID, first, last))
        result.task_retries = _retries(stack)
        result.kills, result.restarts = chaos.kills, dict(chaos.restarts)
        result.faults = {k: simulator.injected[k] for k in CHAOS_KINDS}
        stack.stop(QUICK_STOP_SECONDS)
        _compare(result, settings, sim_settings, soak_receivers, warehouse, first, last, today)
    return result


def _database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _stack_env(
    settings: SoakSettings,
    work: Path,
    postgres: EmbeddedPostgres,
    redis: RedisServer,
    simulator: StoryblokSimulator,
    rec: Receivers,
    warehouse: str,
    today: date,
) -> dict[str, str]:
    metadata = settings.metadata_url or _database(postgres.url, "airflow").replace(
        "postgresql://", "postgresql+psycopg://"
    )
    config = work / "monitor.yaml"
    config.write_text(monitor_yaml(SCHEMA, today))
    storyblok = {
        "conn_type": "storyblok",
        "host": simulator.url,
        "password": simulator.settings.token,
        "extra": {"read_timeout": READ_TIMEOUT},
    }
    env = airflow_env(work / "airflow", metadata, port=free_port(), parallelism=16)
    env.update(
        {
            "STORYBLOK_TRAFFIC_CONFIG": str(config),
            "STORYBLOK_THROTTLE_URL": f"{redis.url}/1",
            "AIRFLOW_CONN_STORYBLOK_DEFAULT": json.dumps(storyblok),
            "AIRFLOW_CONN_STORYBLOK_WAREHOUSE": warehouse.replace("postgresql://", "postgres://"),
            # A killed task or a crashed scheduler's tasks are found within half a minute, not five.
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
            "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "15",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "180",
            **rec.connections(),
        }
    )
    return celery_env(env, f"{redis.url}/0") if settings.executor == "celery" else env


def _quiet(read: Callable[[], T], wait: float = 120) -> T:
    """``read()``, tried again while the metadata database is down (the soak restarts it)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return read()
        except Exception:  # sqlalchemy's OperationalError and the like, while it restarts
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def _wait(stack: CeleryStack, first: date, last: date, timeout: float, chaos: Chaos) -> None:
    """Until every run has ended; the one-off restarts when a quarter, half and three quarters have."""
    days = (last - first).days + 1
    steps = [(0.25, chaos.restart_postgres), (0.5, chaos.restart_redis), (0.75, chaos.restart_scheduler)]
    deadline = time.monotonic() + timeout
    while True:
        done = finished(_quiet(lambda: stack.run_states(DAG_ID, first, last)))
        while steps and done >= steps[0][0] * days:
            steps.pop(0)[1]()
        if done >= days:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{days - done} of {days} runs still going after {timeout:.0f} s")
        time.sleep(3)


def _clear_failed(stack: CeleryStack, simulator: StoryblokSimulator, first: date, last: date, timeout: float) -> int:
    """Clear the failed runs, as operations.md says once the cause has passed: the 401 has."""
    simulator.settings.fault_rates = tuple((k, r) for k, r in simulator.settings.fault_rates if k != "401")
    cleared = 0
    for _ in range(3):
        failed = _quiet(lambda: stack.run_states(DAG_ID, first, last)).get("failed", 0)
        if not failed:
            break
        cleared += failed
        body = {
            "dry_run": False,
            "only_failed": True,
            "reset_dag_runs": True,
            "start_date": f"{first}T00:00:00Z",
            "end_date": f"{last}T00:00:00Z",
        }
        status, text = stack.api("POST", f"/api/v2/dags/{DAG_ID}/clearTaskInstances", body)
        if status != 200:
            raise RuntimeError(f"clearing the failed runs failed: {status} {text[-1000:]}")
        stack.wait_for_runs(DAG_ID, first, last, timeout=timeout)
    return cleared


def _retries(stack: CeleryStack) -> int:
    rows = _quiet(
        lambda: stack._sql(
            "SELECT coalesce(sum(greatest(try_number - 1, 0)), 0) FROM task_instance WHERE dag_id = :dag",
            {"dag": DAG_ID},
        )
    )
    return int(rows[0][0])  # type: ignore[call-overload]


def _compare(
    result: SoakResult,
    settings: SoakSettings,
    sim_settings: SimulatorSettings,
    soak: Receivers,
    warehouse: str,
    first: date,
    last: date,
    today: date,
) -> None:
    """The same days without faults, in order, in this process: then the warehouse and the receivers compared."""
    from sqlalchemy import create_engine

    from storyblok_traffic.config import load_config
    from storyblok_traffic.warehouse.checksum import TOLD_COLUMNS, table_checksums
    from storyblok_traffic.warehouse.engine import begin

    config_path = settings.workdir / "monitor-clean.yaml"
    config_path.write_text(monitor_yaml(CLEAN_SCHEMA, today))
    engine = create_engine(warehouse.replace("postgresql://", "postgresql+psycopg://"))
    with ExitStack() as started:
        started.callback(engine.dispose)
        simulator = StoryblokSimulator(sim_settings).start()
        started.callback(simulator.stop)
        clean = started.enter_context(receivers())
        storyblok = {"conn_type": "storyblok", "host": simulator.url, "password": simulator.settings.token}
        database = {"AIRFLOW_CONN_STORYBLOK_WAREHOUSE": warehouse.replace("postgresql://", "postgres://")}
        with environment({"AIRFLOW_CONN_STORYBLOK_DEFAULT": json.dumps(storyblok), **database, **clean.connections()}):
            clean_run(load_config(config_path), first, last)
        # A notice told before an older day's data came in (a run that finished early) keeps the figures it
        # told: compared are the notices, their days and states, not those figures (the receivers are).
        with begin(engine, SCHEMA) as conn:
            soaked = table_checksums(conn, skip=TOLD_COLUMNS)
        with begin(engine, CLEAN_SCHEMA) as conn:
            expected = table_checksums(conn, skip=TOLD_COLUMNS)
        # raw_responses is what was asked: a fetch asks for the days missing when it runs, which the order
        # of runs decides (the tests' own comparisons leave it out too); what the answers said is in the rest.
        # The incidents are what the faults did, which the clean run has none of: counted, not compared.
        result.tables_equal = {name: soaked[name] == expected[name] for name in expected if name not in UNCOMPARED}
        with begin(engine, SCHEMA) as conn:
            result.incidents = _incidents(conn)
        compare_receivers(result, soak, clean)
        with environment({**database, **soak.connections()}):
            result.watchdog = watchdog_verdict(load_config(settings.workdir / "monitor.yaml"), soak)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def clean_run(config: MonitorConfig, first: date, last: date) -> None:
    """What the daily DAG's tasks do for each day, in date order, without faults (the soak's reference)."""
    day = first
    while day <= last:
        daily_run(config, day)
        day += timedelta(days=1)


def daily_run(config: MonitorConfig, day: date) -> None:
    """The daily DAG's tasks for ``day`` of the configuration's one organisation, without a scheduler:
    fetch (as the DAG builds its operator), upsert, check, and notify when the check says so. A fetch
    that fails raises, as the task would."""
    from storyblok_traffic.jobs.daily import check_usage, notify_due, upsert_traffic
    from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
    from storyblok_traffic.operators.pipeline import NOTIFY_TASK, branch_for

    [org] = config.organisations
    fetch = StoryblokTrafficOperator(
        task_id="fetch_traffic",
        storyblok_conn_id=org.conn_id,
        org=org.org,
        start_date_str=str(day),
        end_date_str=str(day),
        refetch_days=org.refetch_days,
        max_gap_days=org.max_gap_days,
        warehouse=config.warehouse,
    )
    upserted = upsert_traffic(fetch.execute({}), config)
    if branch_for(check_usage(day, org, config, fetched_day=upserted.fetched_day)) == NOTIFY_TASK:
        notify_due(org, config)


UNCOMPARED = ("raw_responses", "pipeline_incidents", "incident_deliveries")


def _incidents(conn: Connection) -> tuple[int, int]:
    from sqlalchemy import func, select

    from storyblok_traffic.warehouse.tables import pipeline_incidents

    i = pipeline_incidents.c
    counts = select(func.count(), func.count(i.resolved_at)).select_from(pipeline_incidents)
    opened, resolved = conn.execute(counts).one()
    return int(opened), int(resolved)


def compare_receivers(result: SoakResult, soak: Receivers, clean: Receivers) -> None:
    """Per channel, notice by notice (a message may carry several, and batches differ with the order of
    checks): received, received more than once, and in the clean run but never received.

    A notice is known by its key in the JSON channel's messages; the other channels' messages are
    mapped to theirs by their text. A message the JSON channel never had counts as a duplicate: a
    notice sent there just before a kill, and sent again by the retry, in a batch with newer figures
    (a notice it alone carried would be missing: a loss).
    """
    known = soak.notices_by_text() | clean.notices_by_text()
    expected = Counter(key for text in clean.received()["json"] for key in known.get(text, ()))
    for channel, messages in soak.received().items():
        got: Counter[tuple[str, ...]] = Counter()
        unexplained = 0
        for text in messages:
            if _is_failure(text):
                continue
            if text not in known:  # told before a kill, told again (with newer figures) by the retry
                unexplained += 1
                result.differences.append(f"{channel}: a message the JSON channel never had: {text[:200]!r}")
            got.update(known.get(text, ()))
        result.notices[channel] = sum(got.values())
        # A notice may be told again after it ended (back within, crossed again): the clean run's counts.
        result.duplicates[channel] = sum((got - expected).values()) + unexplained
        result.losses[channel] = sum((expected - got).values())
        if channel == "json":  # what differs, for the table
            result.differences += [f"lost {dict(zip(NOTICE_FIELDS, k, strict=True))}" for k in expected - got]
            result.differences += [
                f"more than in the clean run {dict(zip(NOTICE_FIELDS, k, strict=True))}" for k in got - expected
            ]
    result.failure_notices = {c: sum(1 for t in texts if _is_failure(t)) for c, texts in soak.received().items()}


def _is_failure(text: str) -> bool:
    """An incident's notice, as text or as its email's HTML (``<p>`` a line, escaped)."""
    import html

    from storyblok_traffic.rules.incidents import is_incident_notice

    return is_incident_notice(html.unescape(re.sub(r"</?p>", "", text)))


def watchdog_verdict(config: MonitorConfig, soak: Receivers) -> str:
    """Quiet now, as it should be; then, asked a day and a half later, it tells the silence on every channel."""
    from storyblok_traffic.jobs.watchdog import watch_checks

    org = config.organisations[0].org
    before = {channel: len(messages) for channel, messages in soak.received().items()}
    if watch_checks(config)[org]:
        return "FAIL: told a silence right after the soak"
    later = datetime.now(UTC) + timedelta(hours=config.organisations[0].silence_after_hours + 1)
    told = watch_checks(config, now=later)[org]
    watch_checks(config, now=later + timedelta(hours=1))  # still silent: nothing more to tell
    new = {channel: len(messages) - before[channel] for channel, messages in soak.received().items()}
    if not told or set(new.values()) != {1}:
        return f"FAIL: silence told {new} (silent: {told})"
    return "ok: quiet after the soak; a silence later told once per channel"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--executor", choices=["local", "celery", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill-every", type=float, default=30.0, help="mean seconds between SIGKILLs")
    parser.add_argument("--workdir", type=Path, default=Path(".soak"))
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    executors = ["local", "celery"] if args.executor == "both" else [args.executor]
    results = []
    for executor in executors:
        work = (args.workdir / executor).resolve()
        subprocess.run(["rm", "-rf", str(work)], check=True)
        print(f"soak: {args.days} days on the {executor} executor; logs in {work}", flush=True)
        settings = SoakSettings(work, days=args.days, executor=executor, seed=args.seed, kill_every=args.kill_every)
        result = run_soak(settings)
        print(result.table(), flush=True)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2, default=str) + "\n")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
