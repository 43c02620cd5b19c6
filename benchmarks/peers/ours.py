"""Our load without Airflow: ``backfill.load_months`` with a ``StoryblokClient``, as the load task runs it.

The warehouse schema is migrated by the benchmark beforehand (as ``storyblok-traffic db migrate``
would be); this process checks it once, as the task does, then fetches, validates and writes.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine

from benchmarks.peers.standin import arguments, report
from storyblok_traffic.hooks.client import StoryblokClient
from storyblok_traffic.hooks.connection import StoryblokConnectionSettings
from storyblok_traffic.jobs.backfill import load_months
from storyblok_traffic.warehouse.migrations import ensure_current
from storyblok_traffic.xcom import Range


def main() -> None:
    args = arguments()
    started = time.perf_counter()
    settings = StoryblokConnectionSettings("bench", args.api, "eu", args.token, "personal", args.rate)
    engine = create_engine(args.db.replace("postgresql://", "postgresql+psycopg://"))
    ensure_current(engine, args.schema, auto_migrate=False)
    months = load_months(StoryblokClient(settings), engine, args.schema, "bench", Range(args.first, args.last))
    written = sum(sum(month["written"].values()) for month in months)
    report(work_s=time.perf_counter() - started, written=written)


if __name__ == "__main__":
    main()
