"""What every benchmark needs: a Postgres to write to, a stopwatch, and its own peak memory."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCAL_POSTGRES = os.environ.get("STORYBLOK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "storyblok_bench"


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh benchmark database on the local server (or an embedded one); yields its URL."""
    import psycopg

    from include.embedded_postgres import local_or_embedded

    with local_or_embedded(LOCAL_POSTGRES, ROOT / ".devstack" / "bench-pg") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        yield url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def airflow_metadata_db(url: str, name: str = "storyblok_bench_meta") -> str:
    """A fresh Airflow metadata database beside the benchmark's (``url``); its SQLAlchemy URL."""
    import psycopg

    server = url.rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server.replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def new_schema() -> str:
    return f"bench_{uuid.uuid4().hex[:8]}"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def report(result: dict[str, Any]) -> None:
    """A benchmark's last line on stdout: its results as JSON, for ``benchmarks.run``."""
    result["peak_rss_mb"] = max(result.get("peak_rss_mb", 0), peak_rss_mb())
    sys.stdout.write(json.dumps(result) + "\n")
