"""The local stack behind ``make run`` and ``make demo``.

Starts what is not configured: an embedded Postgres (metadata and warehouse), the Storyblok
simulator, receivers that print what each channel gets; then Airflow (``airflow standalone``:
scheduler, dag-processor, triggerer, API server with the UI). The DAGs start paused: the backfill
DAG loads the year before the demo's days (``include.demo.DemoCalendar``) first, quietly; the demo's
silence is made through the dashboard's API; only then are the daily DAG (with a backfill of those
days, one at a time) and the watchdog unpaused, so the first notices name the true crossing days.
``run`` waits for Ctrl-C; ``demo`` waits for the backfill, prints a usage report and exits.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from include import demo
from include.airflow_stack import AirflowStack, airflow_env, finished
from include.celery_stack import CeleryStack, celery_env
from include.demo import DemoCalendar
from include.embedded_postgres import EmbeddedPostgres
from include.incident_receiver import IncidentReceiver
from include.net import port_taken
from include.smtp_receiver import SmtpReceiver
from include.storyblok_simulator import StoryblokSimulator
from include.webhook_receiver import WebhookReceiver

if TYPE_CHECKING:
    from storyblok_traffic.config import MonitorConfig

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".devstack"
AIRFLOW_HOME = ROOT / ".airflow"
DAG_ID = "storyblok_traffic"
HISTORY_DAG_ID = "storyblok_traffic_backfill"
DEMO_ORG = "storyblok_default"
SILENCES_API = "/storyblok-usage/api/silences"
WATCHDOG_DAG_ID = "storyblok_traffic_watchdog"
DIGEST_DAG_ID = "storyblok_traffic_digest"
MAIL = STATE / "mail"  # each email with a chart, as a page a browser opens
# The UI's port and address: PORT (or AIRFLOW__API__PORT), and this machine only unless HOST says otherwise.
PORT = int(os.environ.get("PORT") or os.environ.get("AIRFLOW__API__PORT") or "8080")
HOST = os.environ.get("HOST") or os.environ.get("AIRFLOW__API__HOST") or "127.0.0.1"
UI = f"http://localhost:{PORT}"
# A long step says how it is doing at least this often.
HEARTBEAT_SECONDS = 15
LOCAL_REDIS = "redis://127.0.0.1:6379"
# The embedded Postgres's databases: Airflow's metadata and the warehouse.
METADATA_DB, WAREHOUSE_DB = "airflow", "storyblok"


def say(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


@contextmanager
def step(what: str, status: Callable[[], str] = lambda: "") -> Iterator[None]:
    """One long step: a line when it starts, one every HEARTBEAT_SECONDS while it runs (with ``status``),
    and its own duration when it ends."""
    say(what)
    short = what.split(" (")[0]  # the step without its asides, for the lines that follow
    started = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            try:
                now = status()
            except Exception as err:  # a status read must never stop the step it reports on
                now = f"status unknown: {type(err).__name__}"
            say(f"  ... {short}: {time.monotonic() - started:.0f} s{f', {now}' if now else ''}")

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    try:
        yield
    finally:
        done.set()
        beater.join()
    say(f"  done in {time.monotonic() - started:.0f} s: {short}")


def base_env() -> dict[str, str]:
    env = airflow_env(AIRFLOW_HOME, metadata_url=os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", ""), port=PORT)
    env["AIRFLOW__API__HOST"] = HOST
    # Nothing is scheduled before the history is in: see _serve.
    env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] = "True"
    if not env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]:
        del env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]  # services() starts an embedded Postgres for it
    return env


@contextmanager
def services(env: dict[str, str], calendar: DemoCalendar) -> Iterator[None]:
    """Start what the environment does not already point at; stop it all on exit."""
    with ExitStack() as stack:
        needs_db = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env or "AIRFLOW_CONN_STORYBLOK_WAREHOUSE" not in env
        if needs_db:
            pg = EmbeddedPostgres(STATE / "pg").start()
            stack.callback(pg.stop)
            say(f"embedded Postgres on {pg.url.rsplit('/', 1)[0]} (data in {STATE / 'pg'})")
            use_databases(pg.url, env)
        if "AIRFLOW_CONN_STORYBLOK_DEFAULT" not in env:
            # Two spaces run away for a few days each, as a misconfigured client would (include/demo.py).
            sim = StoryblokSimulator(demo.simulation(calendar)).start()
            stack.callback(sim.stop)
            # STORYBLOK_DEMO_TOKEN: the connection holds another token, which the simulator rejects (401),
            # to see what a wrong token does; the simulator's own is the default.
            token = os.environ.get("STORYBLOK_DEMO_TOKEN") or sim.settings.token
            env["AIRFLOW_CONN_STORYBLOK_DEFAULT"] = json.dumps(
                {"conn_type": "storyblok", "host": sim.url, "password": token}
            )
            wrong = (
                ""
                if token == sim.settings.token
                else "; the connection's token is STORYBLOK_DEMO_TOKEN, which it rejects"
            )
            say(f"Storyblok simulator on {sim.url} (no real token configured{wrong})")
        if "AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK" not in env:
            receiver = WebhookReceiver(echo=True).start()
            stack.callback(receiver.stop)
            env.update(demo.webhook_connection(receiver))
            say(f"alerts go to a local webhook receiver on {receiver.url}; they are printed here")
        if "STORYBLOK_TRAFFIC_CONFIG" not in env:
            mail = SmtpReceiver(echo=True, pages=MAIL).start()
            stack.callback(mail.stop)
            STATE.mkdir(exist_ok=True)
            pager = IncidentReceiver(echo=True, tls=STATE).start()
            stack.callback(pager.stop)
            env.update(demo.smtp_connection(mail) | demo.pagerduty_connection(pager))
            env["STORYBLOK_TRAFFIC_CONFIG"] = str(_demo_config(calendar))
            say(f"alert emails go to a local SMTP server on {mail.host}:{mail.port}; their subjects are printed here")
            say(f"a limit reached pages a local PagerDuty Events API on {pager.url}; triggers and resolves are printed")
        yield


def demo_calendar(env: dict[str, str]) -> DemoCalendar:
    """The demo's days, kept in ``.devstack`` from its first start. A ``.devstack`` from before they were
    kept holds a demo whose months start on the 1st: its stored notices would not match this one's."""
    kept = (STATE / "pg").exists() and not (STATE / demo.STARTED_FILE).exists()
    if kept and "STORYBLOK_TRAFFIC_CONFIG" not in env:
        raise SystemExit(
            f"[devstack] {STATE} holds the demo of an earlier version (its months start on the 1st; this one's "
            "start on its contract day, a few days back). Delete it to start over: rm -rf .devstack"
        )
    return demo.started(STATE, datetime.now(UTC).date())


def _demo_config(calendar: DemoCalendar) -> Path:
    """The demo's configuration (``include.demo.settings``) in the stack's state folder."""
    STATE.mkdir(exist_ok=True)
    path = STATE / "monitor.yaml"
    path.write_text(demo.settings(UI, calendar))
    return path


def use_databases(url: str, env: dict[str, str]) -> None:
    """The metadata and warehouse databases on the server of ``url``, for what ``env`` does not set.
    A metadata database made now is a fresh start: the task logs of an earlier stack go."""
    created = _create_databases(url, METADATA_DB, WAREHOUSE_DB)
    if METADATA_DB in created and "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env:
        clear_task_logs(task_log_folder(env))
    root = url.rsplit("/", 1)[0]
    metadata = f"{root.replace('postgresql', 'postgresql+psycopg')}/{METADATA_DB}"
    env.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", metadata)
    env.setdefault("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", f"{root.replace('postgresql', 'postgres')}/{WAREHOUSE_DB}")


def _create_databases(url: str, *names: str) -> set[str]:
    """The databases of ``names`` that do not exist yet, created; returns their names."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                conn.execute(f'CREATE DATABASE "{name}"')
    return set(names) - existing


def task_log_folder(env: dict[str, str]) -> Path:
    """Where Airflow writes the task logs: its base log folder (by default ``$AIRFLOW_HOME/logs``)."""
    return Path(env.get("AIRFLOW__LOGGING__BASE_LOG_FOLDER") or Path(env["AIRFLOW_HOME"]) / "logs")


def clear_task_logs(logs: Path) -> None:
    """A new metadata database names its runs as an earlier stack's did (the same dag_id/run_id/task_id
    paths), and Airflow appends to a log it finds there: the earlier stack's lines would show up in this
    one's task logs. They go, said in one line; the components' own logs (dag_processor/) stay."""
    old = sorted(p for p in logs.glob("dag_id=*") if p.is_dir())
    for folder in old:
        shutil.rmtree(folder)
    if old:
        folders = f"{len(old)} DAG folder{'' if len(old) == 1 else 's'}"
        say(f"a fresh start: the task logs of an earlier stack removed ({folders} in {logs})")


@contextmanager
def standalone(env: dict[str, str], executor: str = "local") -> Iterator[AirflowStack]:
    stack: AirflowStack = AirflowStack(env, STATE / "airflow.log")
    if executor == "celery":
        stack = CeleryStack(celery_env(env, env["AIRFLOW__CELERY__BROKER_URL"]), STATE / "celery", workers=2)
        say(f"CeleryExecutor: 2 workers, broker {_safe(env['AIRFLOW__CELERY__BROKER_URL'])}, the Storyblok rate "
            f"limit shared in {_safe(env['STORYBLOK_THROTTLE_URL'])}; logs in {STATE / 'celery'}")  # fmt: skip
    try:
        what = f"migrating the Airflow metadata database and starting Airflow (its log: {stack.log_path})"
        with step(what, lambda: "the API is up" if _api_up() else "the API is not up yet"):
            started = stack.start()
        yield started
    except RuntimeError as err:
        raise SystemExit(str(err)) from None
    finally:
        say("stopping Airflow")
        stack.stop()


def load_history(stack: AirflowStack, env: dict[str, str], before: date) -> bool:
    """The contract year up to ``before`` (the organisation's: the demo's begins on its contract day),
    through the backfill DAG: quiet, a request per month."""
    from storyblok_traffic.rules.periods import window_of

    last = before - timedelta(days=1)
    first = window_of("year", last, _stack_config(env).organisations[0].year_start).start
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    run_id = f"devstack_history_{datetime.now(UTC):%Y%m%dT%H%M%S}"
    days = (last - first).days + 1
    what = f"loading the history {first}..{last} with {HISTORY_DAG_ID} (quiet: it never notifies)"

    def progress() -> str:
        # The files' bytes come a request per day at the rate limit: a year of them takes about a minute.
        return (
            f"{_months_stored(env, first, last)} of {months} months stored, "
            f"the files' bytes of {_file_days_stored(env, first, last)} of {days} days"
        )

    with step(what, progress):
        stack.trigger(HISTORY_DAG_ID, run_id, json.dumps({"start_date": str(first), "end_date": str(last)}))
        state = stack.wait_for_run(HISTORY_DAG_ID, run_id)
    if state != "success":
        say(f"the history run {state}: why is on the last line")
    return state == "success"


def backfill(
    stack: AirflowStack, env: dict[str, str], calendar: DemoCalendar
) -> tuple[date, date, dict[str, int], int]:
    """The history before the calendar's closing day, quietly; the demo's silence; then the daily DAG's
    days to yesterday, one at a time in date order, as they would have run: the runs' states once done."""
    first, last = calendar.closing_day, datetime.now(UTC).date() - timedelta(days=1)
    history_failed = 0 if load_history(stack, env, first) else 1
    if env.get("STORYBLOK_TRAFFIC_CONFIG") == str(STATE / "monitor.yaml"):
        make_silence(stack, calendar)
    stack.cli("dags", "unpause", WATCHDOG_DAG_ID)
    runs = (last - first).days + 1
    with step(
        f"running {DAG_ID} for {first}..{last}, a day at a time (as if live: each day's notices are sent)",
        lambda: f"{_runs_done(stack, first, last)} of {runs} runs done",
    ):
        # one at a time: each day's check tells its own news before the next day's runs
        stack.backfill(DAG_ID, first, last, max_active_runs=1, reprocess="failed")  # after a fix: failed days
        states = stack.wait_for_runs(DAG_ID, first, last)
    return first, last, states, states.get("failed", 0) + history_failed


def send_digest(stack: AirflowStack, env: dict[str, str]) -> None:
    """The weekly digest of the last week that ended, through its DAG. Unpaused, the DAG runs for its
    latest Monday morning at once (the week before it); then a run for the last week: when that is the
    same week, it finds the week sent (each channel gets a week once). The console says who sent what."""
    from storyblok_traffic.rules.weeks import last_complete_week
    from storyblok_traffic.warehouse import digests
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    week = last_complete_week(datetime.now(UTC).date())
    run_id = f"devstack_digest_{datetime.now(UTC):%Y%m%dT%H%M%S}"
    with step(f"sending the weekly digest of {week.label} ({week.span()}) with {DIGEST_DAG_ID}"):
        stack.wait_for_dag(DIGEST_DAG_ID)
        stack.unpause(DIGEST_DAG_ID)
        scheduled = _scheduled_run_done(stack)
        asked_at = datetime.now(UTC)
        body: dict[str, object] = {"dag_run_id": run_id, "logical_date": None, "conf": {"week": week.label}}
        status, said = stack.api("POST", f"/api/v2/dags/{DIGEST_DAG_ID}/dagRuns", body)
        if status not in (200, 201):
            raise RuntimeError(f"triggering {DIGEST_DAG_ID} failed: {status} {said[-2000:]}")
        state = stack.wait_for_run(DIGEST_DAG_ID, run_id)
    with warehouse_transaction(_stack_config(env).warehouse) as conn:
        sent = digests.delivered(conn, DEMO_ORG, week.first)
    if state != "success" or not sent:
        say(f"the digest's run {state}: see its log in the UI ({DIGEST_DAG_ID}, run {run_id})")
        return
    where = ", ".join(f"{d.channel} at {d.delivered_at:%H:%M} UTC" for d in sent)
    if all(d.delivered_at < asked_at for d in sent):
        by = (
            f"the DAG's scheduled run {scheduled} (unpaused, it runs at once for its latest Monday 08:00 UTC)"
            if scheduled
            else "an earlier start of make run"
        )
        say(f"the weekly digest of {week.label} went to {where}, sent by {by}; the run make run asked for the "
            f"same week, {run_id}, sent nothing: each channel gets a week once")  # fmt: skip
    else:
        say(f"the weekly digest of {week.label} went to {where} (run {run_id})")
    pages = sorted(MAIL.glob("*.html"))
    if pages:
        say(f"the email as a mail client shows it, chart included: open {pages[-1]} in a browser")


def _scheduled_run_done(stack: AirflowStack, timeout: float = 90) -> str | None:
    """The run the scheduler makes for the digest DAG's latest Monday once it is unpaused, when it makes
    one within ``timeout`` seconds, once it is finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, said = stack.api("GET", f"/api/v2/dags/{DIGEST_DAG_ID}/dagRuns?run_type=scheduled")
        runs = json.loads(said).get("dag_runs", []) if status == 200 else []
        if runs:
            run_id = str(runs[-1]["dag_run_id"])
            stack.wait_for_run(DIGEST_DAG_ID, run_id)
            return run_id
        time.sleep(3)
    return None


def make_silence(stack: AirflowStack, calendar: DemoCalendar) -> None:
    """What the dashboard's silence form sends, as admin: the migrating space's spikes held for a week
    (made once: a stack started again finds it)."""
    space = calendar.held_space
    reason = demo.SILENCE_REASON.format(space=space)
    status, text = stack.api("GET", f"{SILENCES_API}?org={DEMO_ORG}")
    if status == 200 and any(s["reason"] == reason for s in json.loads(text)["silences"]):
        return
    body = {"kind": ["spike"], "space": [str(space)], "hours": demo.SILENCE_HOURS, "reason": reason}
    status, text = stack.api("POST", SILENCES_API, body)
    if status != 201:
        raise RuntimeError(f"making the demo's silence failed: {status} {text[-2000:]}")
    made = json.loads(text)["silences"][0]
    say(
        f"silence {made['id']} made through the dashboard's API as {made['created_by']}: {made['matches']} until "
        f'{made["ends_at"][:16].replace("T", " ")} UTC, "{reason}"'
    )


def _api_up() -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{UI}/api/v2/monitor/health", timeout=2):
            return True
    except OSError:
        return False


def _runs_done(stack: AirflowStack, first: date, last: date) -> int:
    return finished(stack.run_states(DAG_ID, first, last))


def _stack_config(env: dict[str, str]) -> MonitorConfig:
    """The stack's monitor configuration, read here as its tasks read it (its connections and file)."""
    from storyblok_traffic.config import CONFIG_ENV, load_config

    os.environ.update({k: v for k, v in env.items() if k.startswith("AIRFLOW_CONN_") or k == CONFIG_ENV})
    return load_config()


def _warehouse_scalar(env: dict[str, str], query: Any) -> int:
    """One count from the devstack's warehouse (0 while it is not migrated yet)."""
    from sqlalchemy import text

    from storyblok_traffic.warehouse.engine import qualified, warehouse_transaction

    with warehouse_transaction(_stack_config(env).warehouse) as conn:
        if conn.scalar(text("SELECT to_regclass(:t)"), {"t": qualified(conn, "alert_deliveries")}) is None:
            return 0
        return int(conn.scalar(query) or 0)


def _months_stored(env: dict[str, str], first: date, last: date) -> int:
    from sqlalchemy import Date, cast, func, select

    from storyblok_traffic.warehouse.tables import org_traffic_daily

    t = org_traffic_daily.c
    month = cast(func.date_trunc("month", t.day), Date)
    return _warehouse_scalar(env, select(func.count(month.distinct())).where(t.day.between(first, last)))


def _file_days_stored(env: dict[str, str], first: date, last: date) -> int:
    from sqlalchemy import func, select

    from storyblok_traffic.model import ASSETS_TRAFFIC
    from storyblok_traffic.warehouse.tables import raw_responses

    r = raw_responses.c
    found = select(func.count()).where(r.endpoint == ASSETS_TRAFFIC, r.start_date.between(first, last))
    return _warehouse_scalar(env, found)


def _deliveries(env: dict[str, str]) -> int:
    from sqlalchemy import func, select

    from storyblok_traffic.warehouse.tables import alert_deliveries

    return _warehouse_scalar(env, select(func.count()).select_from(alert_deliveries))


def _open_incidents(env: dict[str, str], failed: int, timeout: float = 90) -> list[str]:
    """A line per open incident of the demo's organisation: how many runs failed, why, what to do.

    The DAGs' failure callbacks count each failed run a little after it ends (in the dag-processor):
    wait until all ``failed`` runs are counted, so that the line says what the notices say.
    """
    from storyblok_traffic.rules.incidents import TOKEN_REJECTED, summary
    from storyblok_traffic.warehouse.engine import warehouse_transaction
    from storyblok_traffic.warehouse.incidents import open_incidents

    config = _stack_config(env)
    deadline = time.monotonic() + timeout
    while True:
        with warehouse_transaction(config.warehouse) as conn:
            found = [i for o in config.organisations for i in open_incidents(conn, o.org)]
        if sum(i.runs_failed for i in found) >= failed or time.monotonic() > deadline:
            break
        time.sleep(2)
    lines = [summary(i) for i in found]
    if os.environ.get("STORYBLOK_DEMO_TOKEN") and any(i.cause == TOKEN_REJECTED for i in found):
        lines.append(
            "here the wrong token is STORYBLOK_DEMO_TOKEN's: run make demo again without it (what failed runs again)"
        )
    return lines


def _held(env: dict[str, str]) -> list[str]:
    """A line per notice a silence holds: no channel prints it, so the console says it here."""
    from storyblok_traffic.rules.alert_state import SILENCED
    from storyblok_traffic.rules.wording import WORDING
    from storyblok_traffic.warehouse import alerts
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    config = _stack_config(env)
    with warehouse_transaction(config.warehouse) as conn:
        held = [a for o in config.organisations for a in alerts.history(conn, o.org) if a.status == SILENCED]
    return [f"silence {a.silence_id} held, no channel got it: {WORDING[a.kind].report_line(a)}" for a in held]


def _runs_text(states: dict[str, int]) -> str:
    """``30 runs succeeded``, ``28 runs succeeded, 2 failed``: the runs' states in words."""
    said = [
        f"{n} {'succeeded' if state == 'success' else state}"
        for state, n in sorted(states.items(), key=lambda x: x[0] != "success")
    ]
    total = sum(states.values())
    return f"{total} run{'s' if total != 1 else ''}: " + ", ".join(said) if said else "no runs"


def cli_hint(env: dict[str, str]) -> str:
    """The command that points ``storyblok-traffic`` at this stack's warehouse (while it runs)."""
    from sqlalchemy.engine import make_url

    url = env.get("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", "")
    if not url.startswith(("postgres://", "postgresql")):
        return f"{Path(sys.executable).with_name('storyblok-traffic')} report  # the warehouse connection is yours"
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    config = env.get("STORYBLOK_TRAFFIC_CONFIG", "")
    prefix = f"STORYBLOK_TRAFFIC_CONFIG={config} " if config else ""
    # A password is never printed: with one, put it back in the URL (or pass --conn-id).
    shown = parsed.render_as_string(hide_password=True)
    return f"{prefix}{Path(sys.executable).with_name('storyblok-traffic')} report --url {shown}"


def report(env: dict[str, str], as_of: date) -> str:
    from storyblok_traffic.jobs.report import bill_report, usage_report
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    config = _stack_config(env)
    org = config.organisations[0]
    with warehouse_transaction(config.warehouse) as conn:
        return usage_report(conn, org.org, as_of, org.year_start) + "\n\n" + bill_report(conn, org, as_of)


def login_hint() -> str:
    passwords = AIRFLOW_HOME / "simple_auth_manager_passwords.json.generated"
    try:
        users = json.loads(passwords.read_text())
        return ", ".join(f"user {u} / password {p}" for u, p in users.items())
    except (OSError, ValueError):
        return f"see {passwords}"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def check_config(env: dict[str, str]) -> None:
    """A bad monitor configuration stops us before anything starts, naming the file and the setting."""
    from storyblok_traffic.config import CONFIG_ENV, ConfigError, load_config

    if env.get(CONFIG_ENV):
        try:
            load_config(env[CONFIG_ENV])
        except ConfigError as err:
            raise SystemExit(f"[devstack] the monitor configuration is invalid: {err}") from None


def fixed_ports(env: dict[str, str]) -> dict[int, str]:
    """The ports the stack will bind, known before it starts, and what each is for. The simulator, the
    receivers and the embedded Postgres bind a free port when they start: they cannot collide."""
    return {
        int(env["AIRFLOW__API__PORT"]): "the Airflow API server and UI",
        int(env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]): "Airflow's task log server",
        int(env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"]): "the triggerer's log server",
    }


def check_ports(env: dict[str, str], mode: str) -> None:
    """A port in use stops us before anything starts, naming it and how to choose another: a server
    already there answers in our place (another Airflow on 8080 failed the demo after 400 s with its 401)."""
    host = env.get("AIRFLOW__API__HOST", HOST)
    api = int(env["AIRFLOW__API__PORT"])
    for port, what in fixed_ports(env).items():
        if not port_taken(port, host):
            continue
        if port != api:  # picked free a moment ago (airflow_env): taken since, by chance
            raise SystemExit(f"[devstack] port {port} ({what}) was taken just after it was picked: start again")
        other = next((p for p in range(port + 1, port + 100) if not port_taken(p, host)), port + 1)
        raise SystemExit(
            f"[devstack] port {port} ({what}) is in use by another program on this machine. Stop it, or "
            f"choose another port with PORT: `make {mode} PORT={other}` (or PORT={other} in the environment)."
        )


def migrate_warehouse(env: dict[str, str]) -> None:
    """What an operator runs before starting Airflow: the warehouse schema, migrated explicitly."""
    command = [str(Path(sys.executable).with_name("storyblok-traffic")), "db", "migrate"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"[devstack] `storyblok-traffic db migrate` failed:\n{done.stderr.strip()}")
    say(done.stdout.strip())


def use_redis(env: dict[str, str]) -> None:
    """The Celery broker and the shared rate limit: the given URLs, else this host's Redis (databases 5 and 6)."""
    from redis import Redis
    from redis.exceptions import RedisError

    env.setdefault("AIRFLOW__CELERY__BROKER_URL", f"{LOCAL_REDIS}/5")
    env.setdefault("STORYBLOK_THROTTLE_URL", f"{LOCAL_REDIS}/6")
    for name in ("AIRFLOW__CELERY__BROKER_URL", "STORYBLOK_THROTTLE_URL"):
        try:
            Redis.from_url(env[name], socket_connect_timeout=2).ping()
        except (RedisError, ValueError) as err:
            raise SystemExit(
                f"EXECUTOR=celery needs Redis: {name} ({_safe(env[name])}) does not answer ({type(err).__name__}). "
                "Start one, or set AIRFLOW__CELERY__BROKER_URL and STORYBLOK_THROTTLE_URL to yours."
            ) from None


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


def main(mode: str, executor: str = "local") -> int:
    # Ctrl-C and `kill` both unwind the stack below, which stops Airflow, the simulator and Postgres;
    # SIGINT is set explicitly because a shell that starts us in the background ignores it.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    env = base_env()
    check_config(env)
    check_ports(env, mode)
    if executor == "celery":
        use_redis(env)
    started = time.monotonic()
    calendar = demo_calendar(env)
    try:
        with services(env, calendar):
            migrate_warehouse(env)  # before Airflow starts: its tasks then find the schema current
            with standalone(env, executor) as stack:
                return _serve(mode, env, stack, started, calendar)
    except KeyboardInterrupt:  # before the stack was up, or while it served: each part is down now
        say("stopped: Airflow, the simulator, the receivers and the local Postgres are down (data kept in .devstack)")
        return 0


def _serve(mode: str, env: dict[str, str], stack: AirflowStack, started: float, calendar: DemoCalendar) -> int:
    """Tell where the UI is, backfill the demo days, say when they are done; then serve (run) or report (demo)."""
    say(f"Airflow UI: {UI} ({login_hint()}); the usage dashboard: {UI}/plugin/storyblok-usage")
    say(f"the warehouse, from the command line while this runs: {cli_hint(env)} (silence list|add|expire take it too)")
    try:
        sent_before = _deliveries(env)
        first, last, states, failed = backfill(stack, env, calendar)
        if not failed and any(o.org == DEMO_ORG and o.digest for o in _stack_config(env).organisations):
            send_digest(stack, env)
        say(f"{'done' if failed else 'ready'} {time.monotonic() - started:.0f} s after the start: {_runs_text(states)}")
        failing = _open_incidents(env, failed)
        for line in _held(env):
            say(line)
        if mode == "run":
            for line in failing:
                say(line)
        if not failing and _deliveries(env) == sent_before:
            say("no new notices: every notice of these days was sent before (delete .devstack to start over)")
        if mode == "run":
            say(f"running; the UI stays on {UI}; Ctrl-C stops everything")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        say("stopping ...")
        raise
    print("\n" + report(env, last) + "\n", flush=True)
    for line in failing:  # the last lines: what failed and what to do
        say(line)
    return 0 if states.get("success", 0) == (last - first).days + 1 else 1


if __name__ == "__main__":
    args = sys.argv[1:] or ["run"]
    executor = os.environ.get("EXECUTOR", "local").lower() or "local"
    if args[0] not in ("run", "demo") or executor not in ("local", "celery"):
        raise SystemExit("usage: [EXECUTOR=local|celery] python -m include.devstack run|demo")
    sys.exit(main(args[0], executor))
