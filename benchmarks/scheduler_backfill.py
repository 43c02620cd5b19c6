"""Per-day backfill through the real scheduler (``airflow standalone``, LocalExecutor, Postgres metadata):
30 days of ``backfill_floor`` (the daily DAG's shape, doing nothing: Airflow's own price per run) and
of ours side by side in one stack, then 90 days of ours with ``--max-active-runs 8`` to check that the
shared throttle keeps the simulator from answering 429. Memory: the peak of the Airflow processes'
summed PSS, sampled."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks.common import ROOT, airflow_metadata_db, postgres, report
from include.airflow_stack import AirflowStack, airflow_env
from include.net import free_port


def _pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class PeakSampler(threading.Thread):
    def __init__(self, stack: AirflowStack) -> None:
        super().__init__(daemon=True)
        self.stack, self.peak, self._stop = stack, 0.0, threading.Event()

    def run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, _pss_mb(self.stack.pids()))

    def stop(self) -> float:
        self._stop.set()
        return round(self.peak, 1)


def _timed_backfill(
    stack: AirflowStack, first: date, last: date, dag_id: str = "storyblok_traffic"
) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    stack.backfill(dag_id, first, last, max_active_runs=8)
    states = stack.wait_for_runs(dag_id, first, last, timeout=900)
    return time.perf_counter() - start, states


def _dags_folder(home: Path) -> Path:
    """This project's DAG files and the floor DAG, side by side in one folder."""
    folder = home / "dags"
    folder.mkdir()
    for source in [*(ROOT / "dags").glob("*.py"), Path(__file__).parent / "floor_dags" / "backfill_floor.py"]:
        (folder / source.name).symlink_to(source)
    return folder


def main() -> None:
    from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator
    from include.webhook_receiver import WebhookReceiver

    today = datetime.now(UTC).date()
    sim = StoryblokSimulator(SimulatorSettings(today=today, spaces=50)).start()
    receiver = WebhookReceiver().start()  # notices are part of the work: they go somewhere real
    home = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
    port = free_port()
    try:
        with postgres() as url:
            meta = airflow_metadata_db(url)
            (home / "monitor.yaml").write_text(
                f"warehouse_schema: bench_sched\nstart_date: {today + timedelta(days=1)}\n"
            )
            env = airflow_env(home / "airflow", meta, port=port)
            env.update(
                {
                    "AIRFLOW__CORE__DAGS_FOLDER": str(_dags_folder(home)),
                    "STORYBLOK_TRAFFIC_CONFIG": str(home / "monitor.yaml"),
                    "AIRFLOW_CONN_STORYBLOK_WAREHOUSE": url.replace("postgresql://", "postgres://"),
                    "AIRFLOW_CONN_STORYBLOK_DEFAULT": json.dumps(
                        {"conn_type": "storyblok", "host": sim.url, "password": sim.settings.token}
                    ),
                    "STORYBLOK_THROTTLE_DIR": str(home),
                    "AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK": json.dumps({"conn_type": "http", "host": receiver.url}),
                }
            )
            stack = AirflowStack(env, home / "airflow.log")
            started = time.perf_counter()
            stack.start()
            startup = time.perf_counter() - started
            sampler = PeakSampler(stack)
            sampler.start()
            try:
                first30, last30 = today - timedelta(days=30), today - timedelta(days=1)
                floor30, floor_states = _timed_backfill(stack, first30, last30, "backfill_floor")
                s30, states30 = _timed_backfill(stack, first30, last30)
                calls30 = len(sim.calls())
                first90, last90 = today - timedelta(days=120), today - timedelta(days=31)
                s90, states90 = _timed_backfill(stack, first90, last90)
                calls90 = len(sim.calls()) - calls30
            finally:
                peak = sampler.stop()
                stack.stop()
    finally:
        sim.stop()
        receiver.stop()
    report(
        {
            "startup_s": round(startup, 1),
            "floor_30_s": round(floor30, 1),
            "floor_per_run_30_s": round(floor30 / 30, 2),
            "floor_states_30": floor_states,
            "ratio_30": round(s30 / floor30, 2),
            "days_30_s": round(s30, 1),
            "per_run_30_s": round(s30 / 30, 2),
            "states_30": states30,
            "days_90_s": round(s90, 1),
            "per_run_90_s": round(s90 / 90, 2),
            "states_90": states90,
            "api_calls_90": calls90,
            "retried_calls_90": calls90 - 90,  # one request a run; any more were answers to 429
            "airflow_peak_pss_mb": peak,
        }
    )


if __name__ == "__main__":
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp())
    main()
