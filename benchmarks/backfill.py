"""The backfill beside its peers: a year x 500 spaces from a stand-in API at 6 requests a second.

In one run, each loader in a process of its own, median of ``REPEATS``, fresh schemas for each
first load and the same schema again for the reload:

- ``api_floor``: the same 12 requests at the allowed pace, answers read and dropped;
- ``plain``: requests + json + COPY + ``ON CONFLICT DO UPDATE`` (benchmarks/peers/plain.py);
- ``ours``: ``backfill.load_months`` without Airflow, as the load task runs it, and ``check`` of
  the loaded year (``evaluate``), as the evaluation task runs it, also with every space busy;
- ``dlt``: dlt in its own virtual environment (benchmarks/peers/dlt_load.py), merge on the key;
- ``airflow dags test storyblok_traffic_backfill`` (load and evaluation) against ``airflow dags test``
  of a one-task DAG: what the DAG adds over the command's own price.

Wall time is the process's, from start to exit (imports included); work is what the process
measures itself after its imports; peak RSS is what the loader reads of its own (``VmHWM``), and for
the Airflow runs ``wait4``'s (which also counts this process's memory at the fork, far below theirs).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, new_schema, postgres, report

SPACES = 500
RATE = 6
REPEATS = 3
FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)  # 12 calendar months; all 500 spaces exist by May
TOKEN = "sim-personal-token"  # noqa: S105  # the simulator's
DLT_PYTHON = ROOT / ".venv-bench-dlt" / "bin" / "python"
PEERS = "benchmarks.peers"
BUSY_FROM = 20  # a spike floor every space reaches on most days: each is judged each day (the worst case)


def main() -> None:
    if not DLT_PYTHON.exists():
        raise SystemExit(f"{DLT_PYTHON} is missing: `make bench` creates it from benchmarks/peers/dlt-requirements.txt")
    with postgres() as db, standin() as api:
        loaders = Loaders(api, db)
        airflow = AirflowRuns(api, db)
        samples: dict[str, list[dict[str, Any]]] = {}
        for _ in range(REPEATS):
            for name, sample in [*loaders.round(), *airflow.round()]:
                samples.setdefault(name, []).append(sample)
    result: dict[str, Any] = {name: _median(runs) for name, runs in samples.items()}
    result.update(days=(LAST - FIRST).days + 1, spaces=SPACES, rate=RATE, repeats=REPEATS)
    report(result)


class Loaders:
    """The four loaders, each in its own process against its own schema."""

    def __init__(self, api: str, db: str) -> None:
        self.api, self.db = api, db

    def round(self) -> Iterator[tuple[str, dict[str, Any]]]:
        yield "api_floor", self.run("api_floor", new_schema())
        for name, prepare, python in (
            ("plain", self.plain_table, sys.executable),
            ("ours", self.our_schema, sys.executable),
            ("dlt_load", lambda _schema: None, str(DLT_PYTHON)),
        ):
            schema = new_schema()
            prepare(schema)
            first = self.run(name, schema, python)
            first["rows"], first["requests_sum"] = _space_rows(self.db, schema)
            yield f"{name}_first", first
            if name == "ours":
                yield "ours_evaluate", self.run("evaluate", schema)
                yield "ours_evaluate_busy", self.run("evaluate", schema, extra=["--busy-from", str(BUSY_FROM)])
            since = _txid(self.db)
            reload = self.run(name, schema, python)
            reload["rows_rewritten"] = _rows_written_since(self.db, schema, since)
            yield f"{name}_reload", reload

    def run(
        self, name: str, schema: str, python: str = sys.executable, extra: list[str] | None = None
    ) -> dict[str, Any]:
        args = ["--api", self.api, "--token", TOKEN, "--db", self.db, "--schema", schema, *(extra or [])]
        args += ["--first", str(FIRST), "--last", str(LAST), "--rate", str(RATE)]
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'plugins'}", "TMPDIR": tempfile.mkdtemp()}
        return measured([python, "-m", f"{PEERS}.{name}", *args], env)

    def plain_table(self, schema: str) -> None:
        import psycopg

        with psycopg.connect(self.db, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            conn.execute(
                f'CREATE TABLE "{schema}".space_traffic_daily (space_id text, day date, api_requests bigint,'
                " total_bytes bigint, PRIMARY KEY (space_id, day))"
            )

    def our_schema(self, schema: str) -> None:
        """Migrated beforehand, as ``storyblok-traffic db migrate`` does in a deployment."""
        from sqlalchemy import create_engine

        from storyblok_traffic.warehouse.migrations import migrate

        engine = create_engine(self.db.replace("postgresql://", "postgresql+psycopg://"))
        migrate(engine, schema)
        engine.dispose()


class AirflowRuns:
    """``airflow dags test`` of the backfill DAG (fresh schema each time) and of a one-task DAG."""

    def __init__(self, api: str, db: str) -> None:
        from include.airflow_stack import airflow_env

        self.db = db
        home = Path(tempfile.mkdtemp(prefix="bench-airflow-"))
        # dags test needs no scheduler, so SQLite metadata is enough here.
        self.env = airflow_env(home, f"sqlite:///{home}/airflow.db")
        self.env.update(
            AIRFLOW_CONN_STORYBLOK_WAREHOUSE=db.replace("postgresql://", "postgres://"),
            AIRFLOW_CONN_STORYBLOK_DEFAULT=json.dumps({"conn_type": "storyblok", "host": api, "password": TOKEN}),
        )
        self.config = home / "monitor.yaml"
        self.env["STORYBLOK_TRAFFIC_CONFIG"] = str(self.config)
        self.airflow = str(Path(sys.executable).parent / "airflow")
        subprocess.run([self.airflow, "db", "migrate"], env=self.env, check=True, capture_output=True)

    def round(self) -> Iterator[tuple[str, dict[str, Any]]]:
        schema = new_schema()
        self.config.write_text(f"warehouse_schema: {schema}\n")
        conf = json.dumps({"start_date": str(FIRST), "end_date": str(LAST), "organisation": "storyblok_default"})
        dag_file = ROOT / "dags" / "storyblok_traffic_backfill.py"
        command = [self.airflow, "dags", "test", "storyblok_traffic_backfill", "-f", str(dag_file), "-c", conf]
        run = measured(command, self.env)
        run["rows"], run["requests_sum"] = _space_rows(self.db, schema)
        run["days_checked"] = _days_checked(self.db, schema)
        yield "dags_test_backfill", run
        floor = ROOT / "benchmarks" / "floor_dags"
        command = [self.airflow, "dags", "test", "one_task", "-f", str(floor / "one_task.py")]
        yield "dags_test_one_task", measured(command, {**self.env, "AIRFLOW__CORE__DAGS_FOLDER": str(floor)})


def measured(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``command``; its wall time, peak RSS and, when it prints JSON last, what it reported."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed ({proc.returncode}):\n{stderr[-3000:]}{stdout[-2000:]}")
    # wait4's peak includes this process's memory at the fork: only the Airflow runs, far above it, use it
    sample: dict[str, Any] = {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024}
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    if last.startswith("{"):
        sample.update(json.loads(last))  # a loader's own peak (VmHWM) replaces it
    return sample


@contextmanager
def standin() -> Iterator[str]:
    """The simulator in a process of its own, every month's answer built before the clock starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "include.storyblok_simulator", "--port", str(port), "--token", TOKEN]
    command += ["--spaces", str(SPACES), "--requests-per-second", str(RATE)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}"
    try:
        _warm(api)
        yield api
    finally:
        proc.terminate()
        proc.wait(10)


def _warm(api: str) -> None:
    import requests

    from benchmarks.peers.standin import ENDPOINT, months, params

    deadline = time.monotonic() + 30
    for first, last in months(FIRST, LAST):
        while True:
            try:
                response = requests.get(
                    api + ENDPOINT, params=params(first, last), headers={"Authorization": TOKEN}, timeout=60
                )
                if response.status_code == 200:
                    break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.3)
        time.sleep(0.2)


def _space_rows(db: str, schema: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(db) as conn:
        row = conn.execute(f'SELECT count(*), sum(api_requests) FROM "{schema}".space_traffic_daily').fetchone()
    return (int(row[0]), int(row[1] or 0)) if row else (0, 0)


def _days_checked(db: str, schema: str) -> int:
    """Days the evaluation recorded: the DAG run's evaluate_days ran through the year."""
    import psycopg

    with psycopg.connect(db) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{schema}".checked_days').fetchone()
    assert row is not None  # a count always has its row
    return int(row[0])


def _txid(db: str) -> int:
    import psycopg

    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT txid_current()").fetchone()
    assert row is not None
    return int(row[0])


def _rows_written_since(db: str, schema: str, txid: int) -> int:
    """Rows inserted or updated after ``txid`` in every table of ``schema`` (dlt's own bookkeeping aside)."""
    import psycopg

    with psycopg.connect(db) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename NOT LIKE '\\_dlt%%'", (schema,)
            )
        ]
        since = txid % 2**32  # xmin holds the low 32 bits
        written = 0
        for table in tables:
            row = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE xmin::text::bigint >= %s', (since,))
            written += int(row.fetchone()[0])  # type: ignore[index]
        return written


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        if all(isinstance(v, int | float) for v in values):
            out[key] = round(statistics.median(values), 3)
        else:
            out[key] = values[0]
    return out


if __name__ == "__main__":
    main()
