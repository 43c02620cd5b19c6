"""What the usage metrics cost a day's check (issue 40), on a year of ``SPACES`` spaces stored (the
simulator's model, written with the pipeline's own writes): the check of the newest day, then its
gauges computed and sent through Airflow's metrics interface to a StatsD socket on this machine,
against the same check alone (metrics off: nothing computed). Alternated, median of 9, each in a
transaction rolled back. Target: within 1.05x.
"""

from __future__ import annotations

import os
import socket
import statistics
import time
from datetime import date, timedelta

from benchmarks.common import new_schema, postgres, report
from benchmarks.dashboard import _fill

REPEATS = 9


def _statsd() -> socket.socket:
    """A StatsD server's socket; Airflow's metrics backend pointed at it, as a task's runner starts it."""
    from airflow.sdk.observability.metrics import stats_utils
    from airflow.sdk.observability.stats import Stats

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    os.environ |= {"AIRFLOW__METRICS__STATSD_ON": "True", "AIRFLOW__METRICS__STATSD_PORT": str(sock.getsockname()[1])}
    Stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=True)
    return sock


def _once(url: str, schema: str, day: date, metrics: bool) -> float:
    from sqlalchemy import create_engine

    from storyblok_traffic.config import OrgConfig
    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.evaluation.gauges import gauges_of
    from storyblok_traffic.jobs.metrics import emit
    from storyblok_traffic.rules.routes import Routing
    from storyblok_traffic.warehouse.engine import begin

    org, today = OrgConfig(), day + timedelta(days=1)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with begin(engine, schema) as conn:
            started = time.perf_counter()
            evaluation = check(conn, org, day, day, today, Routing())
            if metrics:
                emit(gauges_of(conn, evaluation, today))
            took = time.perf_counter() - started
            conn.rollback()
    finally:
        engine.dispose()
    return took * 1000


def main() -> None:
    last = date(2026, 11, 30)
    with postgres() as url:
        schema = new_schema()
        rows = _fill(url, schema, date(2025, 12, 1), last)
        sock = _statsd()
        with_ms, without_ms = [], []
        for _ in range(REPEATS):
            without_ms.append(_once(url, schema, last, metrics=False))
            with_ms.append(_once(url, schema, last, metrics=True))
        sent = 0
        sock.settimeout(0.2)
        try:
            while sock.recv(65536):
                sent += 1
        except TimeoutError:
            pass
    report(
        {
            "space_days": rows,
            "check_with_metrics_ms": round(statistics.median(with_ms), 1),
            "check_ms": round(statistics.median(without_ms), 1),
            "datagrams": sent,
        }
    )


if __name__ == "__main__":
    main()
