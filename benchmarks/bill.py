"""What watching both meters and the bill costs (issue 26), on 3 years x 500 spaces stored (the
simulator's model, written with the pipeline's own writes).

- **A year's evaluation**: ``check`` over the contract year as the bulk DAG's ``evaluate_days`` runs
  it, in process, median of 3, each rolled back; with both meters (a custom plan of the simulator's
  size: bandwidth watched too, the bill and its notices) and, side by side in the same run, with one
  meter (no plan: the requests against Storyblok's limit alone, what the package did before).
- **Spikes on noise**: the episodes that year's check starts on each meter. The simulator injects no
  spike here, so every one is a false alarm.
- **The overview**: ``/api/overview`` server time through the app with Airflow's auth (median of 10)
  for 50 organisations, each a copy of the filled one with its alert rows, and for one.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import copy_org, new_schema, postgres, report
from benchmarks.dashboard import WITH_BILL, YEARS, _fill
from include.airflow_stack import airflow_env

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from storyblok_traffic.config import OrgConfig

ORGS = 50
REPEATS = 3
ORG = "storyblok_default"
COPIED = ("org_traffic_daily", "usage_snapshots", "usage_alerts")


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-bill-"))
    os.environ.update(airflow_env(home, f"sqlite:///{home}/airflow.db"))
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    last = datetime.now(UTC).date() - timedelta(days=1)
    first = last - timedelta(days=365 * YEARS - 1)
    schema = new_schema()
    with postgres() as url:
        os.environ["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"] = url.replace("postgresql://", "postgres://")
        rows = _fill(url, schema, first, last)
        one, both, episodes = _year(url, schema, last)
        _copies(url, schema, last)
        config = home / "monitor.yaml"
        orgs = "".join(f"  - {{conn_id: sb_{i}, org: org_{i}, plan: growth}}\n" for i in range(ORGS))
        config.write_text(f"warehouse_schema: {schema}\norganisations:\n{orgs}")
        os.environ["STORYBLOK_TRAFFIC_CONFIG"] = str(config)
        fifty = _overview(ORGS)
        config.write_text(
            f"warehouse_schema: {schema}\norganisations:\n  - {{conn_id: sb_0, org: org_0, plan: growth}}\n"
        )
        single = _overview(1)
    report(
        {
            "space_rows": rows,
            "year_one_meter_s": round(statistics.median(one), 3),
            "year_both_meters_s": round(statistics.median(both), 3),
            "year_all_s": {"one": [round(x, 3) for x in one], "both": [round(x, 3) for x in both]},
            "spike_episodes_on_noise": {m: episodes.get(m, 0) for m in ("requests", "bytes")},
            "overview_orgs": ORGS,
            "overview_median_ms": round(statistics.median(fifty), 1),
            "overview_all_ms": [round(x, 1) for x in fifty],
            "overview_one_org_median_ms": round(statistics.median(single), 1),
        }
    )


def _orgs(schema: str, count: int) -> str:
    listed = "".join(f"  - {{conn_id: sb_{i}, org: org_{i}, plan: growth}}\n" for i in range(count))
    return f"warehouse_schema: {schema}\norganisations:\n{listed}"


def _org(plan: bool) -> OrgConfig:
    import yaml

    from storyblok_traffic.config import MonitorConfig

    raw = yaml.safe_load(WITH_BILL) if plan else {"organisations": [{"conn_id": ORG}]}
    return MonitorConfig.from_dict(raw).organisations[0]


def _year(url: str, schema: str, last: date) -> tuple[list[float], list[float], dict[str, int]]:
    """The contract year's check, one meter and both, alternating, each rolled back."""
    from sqlalchemy import create_engine

    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.rules.routes import Routing
    from storyblok_traffic.warehouse.engine import begin

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    first = date(last.year, 1, 1)
    times: dict[bool, list[float]] = {False: [], True: []}
    episodes: dict[str, int] = {}
    for _ in range(REPEATS):
        for plan in (False, True):
            org = _org(plan)
            with begin(engine, schema) as conn:
                start = time.perf_counter()
                evaluation = check(conn, org, first, last, last + timedelta(days=1), Routing(), backfill=True)
                times[plan].append(time.perf_counter() - start)
                assert {p.meter for p in evaluation.periods} == ({"requests", "bytes"} if plan else {"requests"})
                if plan:  # the simulator injects no spike here: every episode is one on noise
                    episodes = _spike_episodes(conn)
                conn.rollback()
    engine.dispose()
    return times[False], times[True], episodes


def _spike_episodes(conn: Connection) -> dict[str, int]:
    """Spike episodes started in the check, by meter: distinct (series, first day) in the journal."""
    from collections import Counter

    from sqlalchemy import select

    from storyblok_traffic.warehouse.tables import usage_alert_versions

    v = usage_alert_versions.c
    started = select(v.meter, v.period, v.crossed_on).where(v.kind == "spike", v.notice == "alarm").distinct()
    return dict(Counter(meter for meter, _, _ in conn.execute(started)))


def _copies(url: str, schema: str, last: date) -> None:
    """The filled organisation checked for its last 60 days (alert rows), then copied 50 times."""
    from sqlalchemy import create_engine

    from storyblok_traffic.evaluation.check import check
    from storyblok_traffic.rules.routes import Routing
    from storyblok_traffic.warehouse.engine import begin

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with begin(engine, schema) as conn:
        check(conn, _org(True), last - timedelta(days=59), last, last + timedelta(days=1), Routing(), backfill=True)
    engine.dispose()
    copy_org(url, schema, COPIED, ORG, [f"org_{i}" for i in range(ORGS)])


def _overview(count: int) -> list[float]:
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    from storyblok_traffic.ui.app import app

    token = create_auth_manager().generate_jwt(SimpleAuthManagerUser(username="bench", role="viewer"))
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get("/api/overview", headers=headers)
    assert first.status_code == 200, first.text
    assert len(first.json()["organisations"]) == count
    assert all(r["projected_bill"] for r in first.json()["organisations"])
    times = []
    for _ in range(10):
        start = time.perf_counter()
        answer = client.get("/api/overview", headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200
    return times


if __name__ == "__main__":
    main()
