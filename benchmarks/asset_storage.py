"""Asset traffic at a large organisation's scale (issue 39), each against a baseline in the same run.

- A day answering 50,000 files: its pages parsed and upserted (files, day rows, month rows) in one
  transaction, then again (a rerun writes nothing); baseline: a plain COPY of the same day rows into an
  unindexed table. Memory: Python's peak allocation while it runs (tracemalloc).
- A year of 50,000 files a day (18,250,000 day rows) in ``asset_traffic_daily`` with its month rows:
  bytes on disk per stored day row, against a plain table of the same rows (no key, no index); a
  month's top 20 files read from ``asset_traffic_monthly``, against summing the month's day rows; a
  day's top 20 from the day rows. The year is filled in SQL (``generate_series``), heavy-tailed.
"""

from __future__ import annotations

import json
import statistics
import time
import tracemalloc
from datetime import date, timedelta
from typing import Any

from benchmarks.common import new_schema, postgres, report, timed

FILES = 50_000
DAYS = 365
YEAR = date(2025, 1, 1)
REPEATS = 5


def day_pages(day: date) -> bytes:
    """One day's answer as the fetch keeps it: one page of 50,000 files, heavy-tailed."""
    files = [
        {
            "id": 100_000_000 + i,
            "alt": None,
            "asset_folder_id": None,
            "content_length": 50_000 + (i * 7919) % 3_000_000,
            "content_type": ("image/jpeg", "image/png", "video/mp4", "application/pdf")[i % 4],
            "deleted_at": None,
            "filename": f"https://a.storyblok.com/f/{100_000 + i % 500}/{i}/file-{i}.jpg",
            "is_private": False,
            "space_id": 100_000 + i % 500,
            "total_bytes": int(4e10 / (i + 1) ** 1.2) + 1,
        }
        for i in range(FILES)
    ]
    return b"[" + json.dumps({"assets": files}).encode() + b"]"


def one_day(engine: Any, schema: str) -> dict[str, Any]:
    from storyblok_traffic.assets import parse_asset_day
    from storyblok_traffic.warehouse.asset_writes import write_asset_day
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import migrate

    day = date(2026, 3, 5)
    pages = day_pages(day)

    def load(into: str) -> Any:
        served = parse_asset_day(pages, day)
        with begin(engine, into) as conn:
            return write_asset_day(conn, "acme", served)

    first_s, written = timed(lambda: load(schema))
    again_s, rewritten = timed(lambda: load(schema))
    # Memory apart, in a schema of its own: tracemalloc doubles the time of what it traces.
    traced = new_schema()
    migrate(engine, traced)
    tracemalloc.start()
    load(traced)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    copy_s = _plain_copy(engine, schema, day, parse_asset_day(pages, day))
    return {
        "files": FILES,
        "first_s": round(first_s, 2),
        "written": written.as_dict(),
        "rerun_s": round(again_s, 2),
        "rerun_written": rewritten.as_dict(),
        "python_peak_mb": round(peak / 1e6, 1),
        "plain_copy_s": round(copy_s, 3),
    }


def _plain_copy(engine: Any, schema: str, day: date, served: Any) -> float:
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TABLE "{schema}".plain_day (org text, day date, asset_id bigint, bytes bigint)')
        cursor = conn.connection.driver_connection.cursor()
        start = time.perf_counter()
        with cursor.copy(f'COPY "{schema}".plain_day FROM STDIN') as copy:
            for asset_id, asset in served.assets.items():
                copy.write_row(("acme", day, asset_id, asset.total_bytes))
        return time.perf_counter() - start


# Bytes of file i on a day: Zipf-like over the catalogue, a little noise by day.
FILL = """
INSERT INTO {table} (org, day, asset_id, total_bytes)
SELECT 'storyblok_default', date '{year}' + d, 100000000 + a,
       (4e10 / (a + 1) ^ 1.2 * (0.8 + 0.4 * (mod(a * 7 + d * 13, 100)) / 100.0))::bigint + 1
FROM generate_series(0, {days} - 1) d, generate_series(0, {files} - 1) a
"""


def months_and_files(conn: Any, q: str, first: date, last: date) -> None:
    """What the writes keep beside the filled day rows: each file's month rows and its description."""
    conn.exec_driver_sql(
        f"INSERT INTO {q}.asset_traffic_monthly SELECT org, date_trunc('month', day)::date, asset_id, "
        f"sum(total_bytes), count(*) FROM {q}.asset_traffic_daily GROUP BY 1, 2, 3"
    )
    conn.exec_driver_sql(
        f"INSERT INTO {q}.assets SELECT 'storyblok_default', 100000000 + a, (100000 + mod(a, 500))::text, "
        f"'https://a.storyblok.com/f/' || a || '/file.jpg', 'image/jpeg', 400000, false, NULL, "
        f"date '{first}', date '{last}' FROM generate_series(0, {FILES} - 1) a"
    )


def year(engine: Any, schema: str) -> dict[str, Any]:
    q = f'"{schema}"'
    with engine.begin() as conn:
        # The real table, filled without its key and the key built after (one sort instead of 18 million
        # index inserts: minutes less); the same table results.
        conn.exec_driver_sql(f"ALTER TABLE {q}.asset_traffic_daily DROP CONSTRAINT asset_traffic_daily_pkey")
        conn.exec_driver_sql(FILL.format(table=f"{q}.asset_traffic_daily", year=YEAR, days=DAYS, files=FILES))
        conn.exec_driver_sql(f"ALTER TABLE {q}.asset_traffic_daily ADD PRIMARY KEY (org, day, asset_id)")
        months_and_files(conn, q, YEAR, YEAR + timedelta(days=DAYS - 1))
        conn.exec_driver_sql(f"CREATE TABLE {q}.plain (org text, day date, asset_id bigint, total_bytes bigint)")
        conn.exec_driver_sql(f"INSERT INTO {q}.plain SELECT * FROM {q}.asset_traffic_daily")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("asset_traffic_daily", "asset_traffic_monthly", "plain"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {q}.{table}")
        rows = conn.exec_driver_sql(f"SELECT count(*) FROM {q}.asset_traffic_daily").scalar()
        size = {
            table: conn.exec_driver_sql(f"SELECT pg_total_relation_size('{q}.{table}')").scalar()
            for table in ("asset_traffic_daily", "asset_traffic_monthly", "plain")
        }
    month = (date(2025, 6, 1), date(2025, 6, 30))
    return {
        "rows": rows,
        "bytes_per_row": round(size["asset_traffic_daily"] / rows, 1),
        "month_rows_bytes_per_day_row": round(size["asset_traffic_monthly"] / rows, 1),
        "plain_bytes_per_row": round(size["plain"] / rows, 1),
        "top_month_ms": _top_month_ms(engine, schema, month[0]),
        "top_month_summed_ms": _median_ms(engine, _summed_month(schema), {"first": month[0], "last": month[1]}),
        "top_day_ms": _median_ms(engine, _top_day(schema), {"day": date(2025, 6, 15)}),
    }


def _top_month_ms(engine: Any, schema: str, month: date) -> float:
    """The package's read (``reads.top_assets_of_month``), with the files it names."""
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.reads import top_assets_of_month

    times = []
    with begin(engine, schema) as conn:
        for _ in range(REPEATS + 1):
            start = time.perf_counter()
            found = top_assets_of_month(conn, "storyblok_default", month)
            times.append((time.perf_counter() - start) * 1000)
    assert len(found) == 20, found
    assert all(use.filename for use in found), found  # every file of the month is described
    return round(statistics.median(times[1:]), 1)


def _summed_month(schema: str) -> str:
    return (
        f"SELECT asset_id, sum(total_bytes) s FROM \"{schema}\".asset_traffic_daily WHERE org = 'storyblok_default' "
        "AND day BETWEEN %(first)s AND %(last)s GROUP BY asset_id ORDER BY s DESC LIMIT 20"
    )


def _top_day(schema: str) -> str:
    return (
        f"SELECT asset_id, total_bytes FROM \"{schema}\".asset_traffic_daily WHERE org = 'storyblok_default' "
        "AND day = %(day)s ORDER BY total_bytes DESC LIMIT 20"
    )


def _median_ms(engine: Any, sql: str, params: dict[str, Any]) -> float:
    times = []
    with engine.connect() as conn:
        for _ in range(REPEATS + 1):  # the first warms the cache: the others are what a reader waits
            start = time.perf_counter()
            conn.exec_driver_sql(sql, params).all()
            times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times[1:]), 1)


def main() -> None:
    from sqlalchemy import create_engine

    from storyblok_traffic.warehouse.migrations import migrate

    with postgres() as url:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        day_schema, year_schema = new_schema(), new_schema()
        migrate(engine, day_schema)
        migrate(engine, year_schema)
        result = {"day": one_day(engine, day_schema), "year": year(engine, year_schema)}
        engine.dispose()
    report(result)


if __name__ == "__main__":
    main()
