"""The plain loader: requests, json, COPY into a temporary table, INSERT ... ON CONFLICT DO UPDATE.

What an engineer writes in an afternoon with no checks: the floor a loader's own work is measured
against. Its table (space_id, day, api_requests, total_bytes) is made by the benchmark beforehand.
"""

from __future__ import annotations

import time

import psycopg
import requests

from benchmarks.peers.standin import ENDPOINT, Pace, arguments, months, params, report


def main() -> None:
    args = arguments()
    started = time.perf_counter()
    session = requests.Session()
    session.headers["Authorization"] = args.token
    pace, rows = Pace(args.rate), 0
    table = f'"{args.schema}".space_traffic_daily'
    with psycopg.connect(args.db) as conn:
        for first, last in months(args.first, args.last):
            pace.wait()
            response = session.get(args.api + ENDPOINT, params=params(first, last), timeout=30)
            response.raise_for_status()
            traffic = response.json()["traffic"]
            with conn.transaction():
                conn.execute(f"CREATE TEMP TABLE stage (LIKE {table}) ON COMMIT DROP")
                with conn.cursor().copy("COPY stage (space_id, day, api_requests, total_bytes) FROM STDIN") as copy:
                    for b in traffic:
                        copy.write_row((str(b["space_id"]), b["date"], b["api_requests"], b["total_bytes"]))
                cursor = conn.execute(
                    f"INSERT INTO {table} SELECT * FROM stage ON CONFLICT (space_id, day) DO UPDATE"
                    " SET api_requests = EXCLUDED.api_requests, total_bytes = EXCLUDED.total_bytes"
                )
                rows += cursor.rowcount
    report(work_s=time.perf_counter() - started, written=rows)


if __name__ == "__main__":
    main()
