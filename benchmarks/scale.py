"""What a reader pays as the warehouse grows (issue 39): the overview against organisations and years of
history, and a day's check against the spaces busy on it.

- **The overview**: ``/api/overview`` server time through the app with Airflow's auth (median of 10) at
  10, 50 and 200 organisations with 1, 3 and 10 years each. Each organisation is a copy of one checked
  over its whole history (its alarms marked told, as a monitor running all along leaves them), with a
  usage snapshot every day and the Growth plan (both meters and the bill). Baseline in the same run: the
  overview of one organisation of one year.
- **A busy day**: ``check`` of one day (rolled back, median of 5) of an organisation whose every space
  is judged for spikes (``spike_min_month_pct: 0``, each space's requests uniform 2,000..5,000 for the
  day and the rule's 168 days before it), at 100, 500 and 2,500 spaces; baseline in the same run: the
  same day's check with spikes off, at 2,500 spaces.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine

from benchmarks.bill import _overview
from benchmarks.common import copy_org, fill_noise, new_schema, postgres, report
from include.airflow_stack import airflow_env

ORGS = (10, 50, 200)
YEARS = (1, 3, 10)
SPACES = (100, 500, 2_500)
LAST = datetime.now(UTC).date() - timedelta(days=1)
MONTHLY_LIMIT = 1_000_000
GB = 10**9
COPIED = ("org_traffic_daily", "usage_snapshots", "usage_alerts")


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    os.environ.update(airflow_env(home, f"sqlite:///{home}/airflow.db"))
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    from storyblok_traffic.warehouse.migrations import migrate

    schema = new_schema()
    with postgres() as url:
        os.environ["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"] = url.replace("postgresql://", "postgres://")
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        migrate(engine, schema)
        alert_rows = {years: _history(engine, url, schema, years) for years in YEARS}
        config = home / "monitor.yaml"
        os.environ["STORYBLOK_TRAFFIC_CONFIG"] = str(config)
        overview: dict[str, float] = {}
        for years in YEARS:
            for count in ORGS:
                config.write_text(_config(schema, years, count))
                overview[f"{count}x{years}"] = round(statistics.median(_overview(count)), 1)
        config.write_text(_config(schema, 1, 1))
        one = round(statistics.median(_overview(1)), 1)
        busy = {spaces: _busy_day(engine, url, schema, spaces) for spaces in SPACES}
        engine.dispose()
    report(
        {
            "overview_ms": overview,
            "overview_one_org_ms": one,
            "alert_rows_per_org": alert_rows,
            "busy_day_s": {str(spaces): ours for spaces, (ours, _) in busy.items()},
            "busy_day_spikes_off_s": busy[SPACES[-1]][1],
        }
    )


def _config(schema: str, years: int, count: int) -> str:
    listed = "".join(f"  - {{conn_id: sb_{years}_{i}, org: y{years}_{i}, plan: growth}}\n" for i in range(count))
    return f"warehouse_schema: {schema}\nchannels: []\norganisations:\n{listed}"


def _history(engine: Engine, url: str, schema: str, years: int) -> int:
    """``years`` of one organisation, checked over all of them, copied to ``max(ORGS)``; its alert rows."""
    import psycopg

    from storyblok_traffic.config import MonitorConfig
    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.rules.routes import Routing
    from storyblok_traffic.warehouse.engine import begin

    template = f"y{years}_0"
    first = LAST - timedelta(days=365 * years - 1)
    rng = random.Random(years)  # noqa: S311 (synthetic traffic, seeded)
    now = datetime.now(UTC).isoformat()
    days = [first + timedelta(days=i) for i in range((LAST - first).days + 1)]
    traffic = io.StringIO()
    for day in days:  # about the limit: some months cross it, some do not
        n = rng.randint(25_000, 40_000)
        traffic.write(f"{template}\t{day}\t{n}\t{n * 400_000}\t{now}\n")
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy(
            f'COPY "{schema}".org_traffic_daily (org, day, api_requests, total_bytes, fetched_at) FROM STDIN'
        ) as copy:
            copy.write(traffic.getvalue())
        conn.execute(
            f'INSERT INTO "{schema}".usage_snapshots SELECT %s, d::date, %s, %s, 0, NULL, now()'
            " FROM generate_series(%s::date, %s::date, interval '1 day') AS d",
            (template, MONTHLY_LIMIT, 12 * MONTHLY_LIMIT, first, LAST),
        )
    org = MonitorConfig.from_dict({"organisations": [{"conn_id": "sb", "org": template, "plan": "growth"}]})
    with begin(engine, schema) as conn:
        check(conn, org.organisations[0], first, LAST, LAST + timedelta(days=1), Routing(), backfill=True)
    with psycopg.connect(url, autocommit=True) as conn:
        # A monitor running all along told its alarms when they were due.
        conn.execute(f"UPDATE \"{schema}\".usage_alerts SET status = 'sent' WHERE org = %s", (template,))
        alerts = conn.execute(f'SELECT count(*) FROM "{schema}".usage_alerts WHERE org = %s', (template,))
        count = int(alerts.fetchone()[0])  # type: ignore[index]
    copy_org(url, schema, COPIED, template, [f"y{years}_{i}" for i in range(1, max(ORGS))])
    return count


def _busy_day(engine: Engine, url: str, schema: str, spaces: int) -> tuple[float, float]:
    """A day's check with every space judged, and with spikes off (s, median of 5 each, rolled back)."""
    import psycopg
    from msgspec.structs import replace

    from storyblok_traffic.config import OrgConfig
    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.rules.routes import Routing
    from storyblok_traffic.warehouse.engine import begin

    org = OrgConfig(conn_id="sb", org=f"spaces_{spaces}", spike_min_month_pct=0.0)
    first = LAST - timedelta(days=org.spike_window_days + org.spike_noise_days)
    days = [first + timedelta(days=i) for i in range((LAST - first).days + 1)]
    average = fill_noise(url, schema, org.org, spaces, days, 2_000, 5_000, seed=spaces)
    with psycopg.connect(url, autocommit=True) as conn:
        limit = 40 * average
        conn.execute(
            f'INSERT INTO "{schema}".usage_snapshots VALUES (%s, %s, %s, %s, 0, NULL, now())',
            (org.org, first, limit, 12 * limit),
        )
    found: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(5):
        for spikes in (True, False):
            checked = org if spikes else replace(org, spike_factor=0.0)
            with begin(engine, schema) as conn:
                start = time.perf_counter()
                check(conn, checked, LAST, LAST, LAST + timedelta(days=1), Routing(), backfill=True)
                found[spikes].append(time.perf_counter() - start)
                conn.rollback()
    return round(statistics.median(found[True]), 3), round(statistics.median(found[False]), 3)


if __name__ == "__main__":
    main()
