"""Files' bytes over time (issue 39), each against a baseline measured in the same run:

- **history**: a year of ``assets_traffic`` (365 requests, one a day) from the simulator at Storyblok's
  6 requests a second (30 spaces of 300 files, a million requests a day: some 3,000 files a day listed), loaded by
  ``jobs.asset_days.load_days`` into a fresh schema (a transaction per day, the next day asked
  meanwhile); the floor: the same 365 requests at the same pace, answers read and dropped.
- **attribution**: a day whose bandwidth crosses the month's limit, over a month of 50,000 files a day
  (1,000,000 day rows, filled in SQL as ``asset_storage`` fills its year; the organisation's year so far and
  its 500 spaces' days beside them, as such an organisation has); the day's check with its
  notice due, its files read and kept with it (``asset_traffic`` on), against the same check with
  ``asset_traffic`` off, the days before it checked already (as the daily runs before it did). Median of
  ``REPEATS``, each check rolled back.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from benchmarks.asset_storage import FILES, months_and_files
from benchmarks.common import new_schema, postgres, report

RATE = 6
DAYS = 365
FIRST = date(2025, 1, 1)
MONTH = date(2025, 6, 1)
CROSSING = date(2025, 6, 20)  # the month's bandwidth crosses its limit on this day
REPEATS = 5
GB = 1_000_000_000


def main() -> None:
    from sqlalchemy import create_engine

    with postgres() as url:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        result = {"history": history(engine), "attribution": attribution(engine), "rate": RATE}
        engine.dispose()
    report(result)


def history(engine: Any) -> dict[str, Any]:
    from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator
    from storyblok_traffic.hooks.client import ASSETS_PER_PAGE, StoryblokClient
    from storyblok_traffic.hooks.connection import StoryblokConnectionSettings
    from storyblok_traffic.jobs.asset_days import load_days
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import migrate

    settings = SimulatorSettings(
        today=date(2026, 1, 5), spaces=30, assets_per_space=300, daily_requests=1_000_000, requests_per_second=RATE
    )
    days = [FIRST + timedelta(days=n) for n in range(DAYS)]
    sim = StoryblokSimulator(settings).start()
    try:

        def client() -> StoryblokClient:  # each its own throttle: the two runs do not share a second
            return StoryblokClient(StoryblokConnectionSettings("sim", sim.url, "eu", settings.token, "personal", RATE))

        floor = client()
        start = time.perf_counter()
        for day in days:
            floor.get_assets_traffic(day, day, page=1, per_page=ASSETS_PER_PAGE).content  # noqa: B018
        floor_s = time.perf_counter() - start
        time.sleep(1.0)  # a fresh one-second window for the load
        schema = new_schema()
        migrate(engine, schema)
        start = time.perf_counter()
        loaded = load_days(client(), lambda: begin(engine, schema), "storyblok_default", days)
        ours_s = time.perf_counter() - start
    finally:
        sim.stop()
    files = [d["files"] for d in loaded.days]
    return {
        "requests": DAYS,
        "floor_s": round(floor_s, 1),
        "ours_s": round(ours_s, 1),
        "ratio": round(ours_s / floor_s, 2),
        "files_per_day": round(statistics.mean(files)),
        "day_rows": loaded.written.get("asset_days", 0),
    }


def attribution(engine: Any) -> dict[str, Any]:
    from storyblok_traffic.config import MonitorConfig, OrgConfig
    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import migrate
    from storyblok_traffic.warehouse.tables import usage_alerts

    schema = new_schema()
    migrate(engine, schema)
    _fill(engine, schema)
    org = OrgConfig(limit_meter="bytes", yearly_thresholds=(), monthly_thresholds=(100.0,), forecast_thresholds=())
    config = MonitorConfig(warehouse_schema=schema, organisations=(org,))
    # The days before checked once, as the daily runs before it did: the measured check is the day's alone.
    with begin(engine, schema) as conn:
        before = CROSSING - timedelta(days=1)
        check(conn, org, date(MONTH.year, 1, 1), before, before, config.routing(org), backfill=True)
    timings: dict[bool, list[float]] = {True: [], False: []}
    named: list[int] = []
    for _ in range(REPEATS):
        for on in (False, True):
            with engine.connect() as raw:
                conn = raw.execution_options(schema_translate_map={None: schema})
                outer = conn.begin()
                start = time.perf_counter()
                evaluation = check(conn, _with(org, on), CROSSING, CROSSING, CROSSING, config.routing(org))
                timings[on].append(time.perf_counter() - start)
                if on:
                    found = conn.execute(select(usage_alerts.c.figures).where(usage_alerts.c.status == "pending"))
                    named.append(max(len((f or {}).get("top_assets", [])) for f in found.scalars()))
                assert evaluation.pending_notices >= 1, evaluation.describe()
                outer.rollback()
    with_files, without = statistics.median(timings[True]), statistics.median(timings[False])
    return {
        "day_rows": FILES * CROSSING.day,
        "with_files_ms": round(with_files * 1000, 1),
        "without_ms": round(without * 1000, 1),
        "ratio": round(with_files / without, 2),
        "files_named": min(named),
    }


def _with(org: Any, on: bool) -> Any:
    import msgspec

    return msgspec.structs.replace(org, asset_traffic=on)


def _fill(engine: Any, schema: str) -> None:
    """The month to the crossing day: the organisation's days (25 GB, then 30 on the day, against 500 GB),
    its limit, and its files' day rows, month rows, descriptions and kept answers."""
    q = f'"{schema}"'
    last = CROSSING.day - 1
    with engine.begin() as conn:
        # The year so far: 15 GB a day before the month (no crossing), 25 GB in it, 30 GB on the crossing day;
        # each of 500 spaces a 500th of it.
        year_days = (CROSSING - date(MONTH.year, 1, 1)).days
        bytes_on = (
            f"CASE WHEN d = {year_days} THEN {30 * GB} WHEN date '{MONTH.year}-01-01' + d >= date '{MONTH}' "
            f"THEN {25 * GB} ELSE {15 * GB} END"
        )
        conn.exec_driver_sql(
            f"INSERT INTO {q}.org_traffic_daily (org, day, api_requests, total_bytes, fetched_at) "
            f"SELECT 'storyblok_default', date '{MONTH.year}-01-01' + d, 500000, {bytes_on}, now() "
            f"FROM generate_series(0, {year_days}) d"
        )
        conn.exec_driver_sql(
            f"INSERT INTO {q}.space_traffic_daily (org, space_id, day, api_requests, total_bytes, fetched_at) "
            f"SELECT 'storyblok_default', (100000 + s)::text, date '{MONTH.year}-01-01' + d, 1000, "
            f"({bytes_on}) / 500, now() FROM generate_series(0, {year_days}) d, generate_series(0, 499) s"
        )
        conn.exec_driver_sql(
            f"INSERT INTO {q}.usage_snapshots (org, as_of, monthly_traffic_limit, yearly_traffic_limit, "
            f"traffic_used_this_year, fetched_at) VALUES ('storyblok_default', date '{MONTH}', {500 * GB}, "
            f"{6000 * GB}, 0, now())"
        )
        conn.exec_driver_sql(f"ALTER TABLE {q}.asset_traffic_daily DROP CONSTRAINT asset_traffic_daily_pkey")
        conn.exec_driver_sql(
            f"INSERT INTO {q}.asset_traffic_daily (org, day, asset_id, total_bytes) "
            f"SELECT 'storyblok_default', date '{MONTH}' + d, 100000000 + a, "
            f"(2e9 / (a + 1) ^ 1.2 * (0.8 + 0.4 * (mod(a * 7 + d * 13, 100)) / 100.0))::bigint + 1 "
            f"FROM generate_series(0, {last}) d, generate_series(0, {FILES} - 1) a"
        )
        conn.exec_driver_sql(f"ALTER TABLE {q}.asset_traffic_daily ADD PRIMARY KEY (org, day, asset_id)")
        months_and_files(conn, q, MONTH, CROSSING)
        conn.exec_driver_sql(
            f"INSERT INTO {q}.raw_responses (org, start_date, end_date, group_by, fetched_at, payload, endpoint) "
            f"SELECT 'storyblok_default', date '{MONTH}' + d, date '{MONTH}' + d, 'day', now(), '[]', "
            f"'assets_traffic' FROM generate_series(0, {last}) d"
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (
            "asset_traffic_daily",
            "asset_traffic_monthly",
            "assets",
            "org_traffic_daily",
            "space_traffic_daily",
        ):
            conn.exec_driver_sql(f"VACUUM ANALYZE {q}.{table}")


if __name__ == "__main__":
    main()
