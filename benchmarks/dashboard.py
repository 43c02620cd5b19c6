"""The "Storyblok usage" dashboard on a big history: 3 years x 500 spaces stored (from the simulator's
model, written with the pipeline's own writes). Server time of ``/api/usage`` (median of 10, through
the app with Airflow's auth), with the bill of both meters on a plan and, beside it in the same run,
without a plan (no bill: the one-meter figures alone); the page's time to render in headless Chromium
(median of 3)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import new_schema, postgres, report
from include.airflow_stack import airflow_env
from include.net import free_port

SPACES, YEARS = 500, 3
# The simulator's limit (20,000,000 a month) is no plan of the table's: a custom plan of that size
# makes the bill, with both meters, their projections and the month on every plan.
WITH_BILL = """organisations:
  - conn_id: storyblok_default
    plan: custom
    base_price: 2000
    plan_meters:
      requests: {included: 20000000, max: 60000000, block_size: 1000000, block_price: 10}
      bytes: {included: 4000000000000, max: 8000000000000, block_size: 250000000000, block_price: 75}
"""
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _fill(url: str, schema: str, first: date, last: date) -> int:
    from sqlalchemy import create_engine

    from include.storyblok_simulator import SimulatorSettings, TrafficModel
    from storyblok_traffic.jobs.backfill import month_chunks
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import migrate
    from storyblok_traffic.warehouse.writes import write_fetch
    from storyblok_traffic.xcom import FetchedTraffic, Range

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    migrate(engine, schema)
    model = TrafficModel(SimulatorSettings(today=last + timedelta(days=1), spaces=SPACES, monthly_limit=20_000_000))
    rows = 0
    for chunk in month_chunks(Range(first, last)):
        payload = model.all_traffic(chunk.first, chunk.last, "day")
        fetched = FetchedTraffic("storyblok_default", chunk.first, chunk.last, "day", datetime.now(UTC), payload)
        with begin(engine, schema) as conn:
            rows += write_fetch(conn, fetched, fetched.daily()).space_days
    engine.dispose()
    return rows


def _serve(app: Any, port: int) -> threading.Thread:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return thread


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    os.environ.update(airflow_env(home, f"sqlite:///{home}/airflow.db"))
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    today = datetime.now(UTC).date()
    last = today - timedelta(days=1)
    first = last - timedelta(days=365 * YEARS - 1)
    schema = new_schema()
    (home / "monitor.yaml").write_text(f"warehouse_schema: {schema}\n")
    os.environ["STORYBLOK_TRAFFIC_CONFIG"] = str(home / "monitor.yaml")
    with postgres() as url:
        os.environ["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"] = url.replace("postgresql://", "postgres://")
        started = time.perf_counter()
        rows = _fill(url, schema, first, last)
        fill_s = time.perf_counter() - started
        config = home / "monitor.yaml"
        config.write_text(f"warehouse_schema: {schema}\n")
        no_bill_ms, _ = _measure(plan=None, render=False)
        config.write_text(f"warehouse_schema: {schema}\n{WITH_BILL}")
        api_ms, page_ms = _measure(plan="custom")
    report(
        {
            "space_rows": rows,
            "fill_s": round(fill_s, 1),
            "api_median_ms": round(statistics.median(api_ms), 1),
            "api_all_ms": [round(x, 1) for x in api_ms],
            "api_no_bill_median_ms": round(statistics.median(no_bill_ms), 1),
            "page_median_ms": round(statistics.median(page_ms), 1),
            "page_all_ms": [round(x, 1) for x in page_ms],
        }
    )


def _measure(plan: str | None, render: bool = True) -> tuple[list[float], list[float]]:
    """``/api/usage`` times (and the page's, when ``render``); ``plan``: the plan its bill must be on."""
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from storyblok_traffic.ui.app import app

    token = create_auth_manager().generate_jwt(SimpleAuthManagerUser(username="bench", role="viewer"))
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get("/api/usage", params={"org": "storyblok_default"}, headers=headers)
    assert first.status_code == 200, first.text
    meters = [m["meter"] for m in first.json()["bill"]["meters"]]
    assert (first.json()["bill"]["plan"], meters) == ((plan, ["requests", "bytes"]) if plan else (None, [])), meters
    api_ms = []
    for _ in range(10):
        start = time.perf_counter()
        answer = client.get("/api/usage", params={"org": "storyblok_default"}, headers=headers)
        api_ms.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200
    if not render:
        return api_ms, []
    # The page as the UI's iframe loads it: served under its prefix, the cookie Airflow's UI sets.
    outer = FastAPI()
    outer.mount("/storyblok-usage", app)
    port = free_port()
    _serve(outer, port)
    return api_ms, _render(f"http://127.0.0.1:{port}/storyblok-usage/", token)


def _render(url: str, token: str) -> list[float]:
    from playwright.sync_api import sync_playwright

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "_token", "value": token, "url": url}])
        for _ in range(4):
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.locator("body[data-loaded=true]").wait_for(timeout=60_000)
            page.locator("#daily .main-svg").first.wait_for(timeout=30_000)
            times.append((time.perf_counter() - start) * 1000)
            page.close()
        browser.close()
    return times[1:]  # the first load fills the browser's cache with plotly.min.js


if __name__ == "__main__":
    main()
