"""Upsert throughput: 365 days x 500 spaces, first load and a reload with 10 % of the values changed.

Next to ``PostgresHook.insert_rows(replace=True)`` on the same rows and a plain ``COPY`` into an
unindexed table (the floor), in the same run and database.
"""

from __future__ import annotations

import os
import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

from benchmarks.common import new_schema, postgres, report, timed

DAYS, SPACES = 365, 500
FIRST = date(2025, 1, 1)


def rows(changed: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=1 if changed else 0)
    spaces = [
        {
            "org": "acme",
            "space_id": str(100_000 + s),
            "day": FIRST + timedelta(days=d),
            "api_requests": 1_000 + s + d + (1 if changed and (d * SPACES + s) % 10 == 0 else 0),
            "total_bytes": (1_000 + s + d) * 40_000,
            "fetched_at": at,
        }
        for d in range(DAYS)
        for s in range(SPACES)
    ]
    org = [
        {
            "org": "acme",
            "day": FIRST + timedelta(days=d),
            "api_requests": sum(1_000 + s + d for s in range(SPACES)) + (SPACES // 10 if changed else 0),
            "total_bytes": None,
            "fetched_at": at,
        }
        for d in range(DAYS)
    ]
    return spaces, org


def ours(url: str, first: tuple[list, list], second: tuple[list, list]) -> tuple[float, float, int]:
    from sqlalchemy import create_engine

    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import migrate
    from storyblok_traffic.warehouse.tables import org_traffic_daily, space_traffic_daily
    from storyblok_traffic.warehouse.writes import upsert

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    schema = new_schema()
    migrate(engine, schema)

    def load(batch: tuple[list, list]) -> int:
        with begin(engine, schema) as conn:
            n = upsert(conn, space_traffic_daily, batch[0], keep_known=("total_bytes",))
            return n + upsert(conn, org_traffic_daily, batch[1], keep_known=("total_bytes",))

    t_first, n_first = timed(lambda: load(first))
    t_reload, n_reload = timed(lambda: load(second))
    assert n_first == len(first[0]) + len(first[1]), n_first
    engine.dispose()
    return t_first, t_reload, n_reload


def insert_rows(url: str, first: tuple[list, list], second: tuple[list, list]) -> tuple[float, float]:
    """The Postgres provider's own upsert, on the same tables and rows."""
    import psycopg
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    schema = new_schema()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(
            f"CREATE TABLE {schema}.space_traffic_daily (org text, space_id text, day date, api_requests bigint, "
            "total_bytes bigint, fetched_at timestamptz, PRIMARY KEY (org, space_id, day))"
        )
        conn.execute(
            f"CREATE TABLE {schema}.org_traffic_daily (org text, day date, api_requests bigint, "
            "total_bytes bigint, fetched_at timestamptz, PRIMARY KEY (org, day))"
        )
    os.environ["AIRFLOW_CONN_BENCH_PG"] = url.replace("postgresql://", "postgres://")
    hook = PostgresHook(postgres_conn_id="bench_pg")

    def load(batch: tuple[list, list]) -> None:
        for table, data, keys in (
            ("space_traffic_daily", batch[0], ["org", "space_id", "day"]),
            ("org_traffic_daily", batch[1], ["org", "day"]),
        ):
            fields = list(data[0])
            hook.insert_rows(
                f"{schema}.{table}",
                [tuple(r[f] for f in fields) for r in data],
                target_fields=fields,
                replace=True,
                replace_index=keys,
                commit_every=5_000,
                executemany=True,
            )

    t_first, _ = timed(lambda: load(first))
    t_reload, _ = timed(lambda: load(second))
    return t_first, t_reload


def plain_copy(url: str, first: tuple[list, list]) -> float:
    import psycopg

    schema = new_schema()
    fields = list(first[0][0])
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(
            f"CREATE TABLE {schema}.floor (org text, space_id text, day date, api_requests bigint, "
            "total_bytes bigint, fetched_at timestamptz)"
        )
        conn.commit()

        def load() -> None:
            with conn.cursor().copy(f"COPY {schema}.floor ({', '.join(fields)}) FROM STDIN") as copy:
                for batch in first:
                    for r in batch:
                        copy.write_row([r.get(f, "acme" if f == "space_id" else None) for f in fields])
            conn.commit()

        seconds, _ = timed(load)
    return seconds


REPEATS = 3  # each in a fresh schema; the median counts (a shared 2-core machine is noisy)


def main() -> None:
    first, second = rows(changed=False), rows(changed=True)
    total = len(first[0]) + len(first[1])
    with postgres() as url:
        runs = [ours(url, first, second) for _ in range(REPEATS)]
        t_first, t_reload = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        changed = runs[0][2]
        helper = [insert_rows(url, first, second) for _ in range(REPEATS)]
        h_first, h_reload = statistics.median(h[0] for h in helper), statistics.median(h[1] for h in helper)
        c_first = statistics.median(plain_copy(url, first) for _ in range(REPEATS))
    report(
        {
            "rows": total,
            "changed_on_reload": changed,
            "ours_first_rows_s": round(total / t_first),
            "ours_reload_rows_s": round(total / t_reload),
            "insert_rows_first_rows_s": round(total / h_first),
            "insert_rows_reload_rows_s": round(total / h_reload),
            "copy_rows_s": round(total / c_first),
        }
    )


if __name__ == "__main__":
    main()
