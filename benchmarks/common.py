"""What every benchmark needs: a Postgres to write to, a stopwatch, and its own peak memory."""

from __future__ import annotations

import io
import json
import os
import random
import resource
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
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


def fill_noise(url: str, schema: str, org: str, spaces: int, days: list[date], low: int, high: int, seed: int) -> int:
    """``spaces`` spaces of ``org`` whose requests on each of ``days`` are uniform ``low``..``high`` (seeded,
    20 kB a request), with the organisation's sums; returns the organisation's average day."""
    import psycopg

    rng = random.Random(seed)  # noqa: S311 (synthetic traffic, seeded)
    now = datetime.now(UTC).isoformat()
    rows, totals = io.StringIO(), dict.fromkeys(days, 0)
    for space in range(spaces):
        for day in days:
            n = rng.randint(low, high)
            totals[day] += n
            rows.write(f"{org}\t{100_000 + space}\t{day}\t{n}\t{n * 20_000}\t{now}\n")
    with psycopg.connect(url, autocommit=True) as conn:
        columns = "(org, space_id, day, api_requests, total_bytes, fetched_at)"
        with conn.cursor().copy(f'COPY "{schema}".space_traffic_daily {columns} FROM STDIN') as copy:
            copy.write(rows.getvalue())
        with conn.cursor().copy(
            f'COPY "{schema}".org_traffic_daily (org, day, api_requests, total_bytes, fetched_at) FROM STDIN'
        ) as copy:
            copy.write("".join(f"{org}\t{d}\t{n}\t{n * 20_000}\t{now}\n" for d, n in totals.items()))
        conn.execute(f'ANALYZE "{schema}".space_traffic_daily')  # as autovacuum does after a load
    return sum(totals.values()) // len(totals)


def copy_org(url: str, schema: str, tables: tuple[str, ...], source: str, targets: list[str]) -> None:
    """Each of ``tables``' rows of ``source`` copied to every organisation of ``targets``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            columns = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "AND column_name <> 'org' ORDER BY ordinal_position", (schema, table),
            )]  # fmt: skip
            listed = ", ".join(columns)
            conn.execute(
                f'INSERT INTO "{schema}".{table} (org, {listed}) SELECT o, {listed} FROM "{schema}".{table}, '
                f"unnest(%s::text[]) AS o WHERE org = %s",
                (targets, source),
            )
            conn.execute(f'ANALYZE "{schema}".{table}')
