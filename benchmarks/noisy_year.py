"""A year's evaluation of an organisation whose 500 spaces are pure noise (issue 23).

Each space's daily requests are independent, uniform 0..5,000 (seeded), for the year and the spike
rule's window and noise days before it; the monthly limit is 45,000,000 (the month's 37.5 million
with a fifth to spare). ``check`` over the year as the bulk DAG's ``evaluate_days`` runs it, in
process, median of 3, each rolled back; side by side:

- **ours**: the default settings;
- **without the bill's share**: ``spike_min_month_pct: 0``, every space judged on the spike rule's
  statistics alone (the most spaces that reach the noise test);
- **plain**: the same days with spikes off (``spike_factor: 0``): the rest of the evaluation.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

from sqlalchemy import Engine, create_engine

from benchmarks.common import fill_noise, new_schema, postgres, report
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.check import check
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate

SPACES = 500
LAST = date(2026, 11, 30)
FIRST = LAST - timedelta(days=364)
MONTHLY_LIMIT = 45_000_000
REPEATS = 3
BASE = OrgConfig(conn_id="bench")


def _fill(url: str, schema: str) -> int:
    """Space rows and their sums, from the rule's whole reach before the year; returns the rows."""
    import psycopg

    start = FIRST - timedelta(days=BASE.spike_window_days + BASE.spike_noise_days)
    days = [start + timedelta(days=i) for i in range((LAST - start).days + 1)]
    fill_noise(url, schema, "bench", SPACES, days, 0, 5_000, seed=23)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f'INSERT INTO "{schema}".usage_snapshots VALUES (%s, %s, %s, %s, 0, NULL, now())',
            ("bench", start, MONTHLY_LIMIT, 12 * MONTHLY_LIMIT),
        )
    return SPACES * len(days)


def _seconds(engine: Engine, schema: str, org: OrgConfig) -> tuple[float, int]:
    """Median wall time of ``check`` over the year (rolled back), and the spike rows it left."""
    times, spikes = [], 0
    for _ in range(REPEATS):
        with begin(engine, schema) as conn:
            started = time.perf_counter()
            check(conn, org, FIRST, LAST, LAST + timedelta(days=30), Routing(default=("log",)), backfill=True)
            times.append(time.perf_counter() - started)
            spikes = conn.exec_driver_sql(
                f"SELECT count(*) FROM \"{schema}\".usage_alert_versions WHERE kind = 'spike' AND notice = 'alarm'"
            ).scalar_one()
            conn.rollback()
    return round(statistics.median(times), 3), int(spikes)


def main() -> None:
    from msgspec.structs import replace

    with postgres() as url:
        schema = new_schema()
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        migrate(engine, schema)
        rows = _fill(url, schema)
        _seconds(engine, schema, replace(BASE, spike_factor=0.0))  # warm: imports, connections, caches
        ours, ours_spikes = _seconds(engine, schema, BASE)
        share_off, share_off_spikes = _seconds(engine, schema, replace(BASE, spike_min_month_pct=0.0))
        plain, _ = _seconds(engine, schema, replace(BASE, spike_factor=0.0))
        engine.dispose()
    report(
        {
            "space_rows": rows,
            "days": 365,
            "spaces": SPACES,
            "ours_s": ours,
            "ours_spike_episodes": ours_spikes,
            "share_off_s": share_off,
            "share_off_spike_episodes": share_off_spikes,
            "plain_s": plain,
        }
    )


if __name__ == "__main__":
    main()
