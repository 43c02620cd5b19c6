"""End to end in a real browser: a real ``airflow api-server`` with the plugin, Airflow's login, the
"Storyblok usage" nav entry, the charts rendered from the pipeline's data (issue 12).

Debian's chromium driven by Playwright (``make browser`` installs it). The screenshot is kept in
``tests/artifacts/`` (README's copy is ``docs/storyblok-usage.png``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from include.airflow_stack import QUIET_PATHSPEC
from include.net import free_port
from include.storyblok_simulator import SimulatorSettings
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.tasks import check_usage
from tests.integration.test_history import daily_runs

TODAY = datetime.now(UTC).date()
FIRST, LAST = TODAY - timedelta(days=40), TODAY - timedelta(days=1)
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    return SimulatorSettings(today=TODAY, monthly_limit=800_000, spaces=8)


@pytest.fixture
def api_server(airflow_db, simulator, storyblok_conn, warehouse_conn, receiver, schema, tmp_path) -> Iterator[str]:
    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\n")
    daily_runs(OrgConfig(), MonitorConfig(warehouse_schema=schema), FIRST, LAST)
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({"alice": "alice-password"}))
    port = free_port()
    env = os.environ | {
        "STORYBLOK_TRAFFIC_CONFIG": str(config),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "alice:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "PYTHONWARNINGS": QUIET_PATHSPEC,
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    log = (tmp_path / "api-server.log").open("w")
    command = [airflow, "api-server", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _healthy(url):
            assert server.poll() is None, (tmp_path / "api-server.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "api-server.log").read_text()
            time.sleep(1)
        yield url
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()


def _healthy(url: str) -> bool:
    import requests

    try:
        return requests.get(f"{url}/api/v2/monitor/health", timeout=2).ok
    except requests.RequestException:
        return False


def test_the_dashboard_renders_the_pipelines_figures(api_server, schema):
    from playwright.sync_api import sync_playwright

    summary = check_usage(LAST, OrgConfig(), MonitorConfig(warehouse_schema=schema), today=TODAY)
    year = next(p for p in summary.periods if p.period == "year")
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{api_server}/auth/login?next=/")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "alice-password")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/auth/login" not in url, timeout=30_000)
        page.get_by_role("button", name="Browse").click()
        page.get_by_role("menuitem", name="Storyblok usage").click()
        page.wait_for_url("**/plugin/storyblok-usage", timeout=30_000)
        frame = page.frame_locator("iframe")
        frame.locator("body[data-loaded=true]").wait_for(timeout=60_000)
        frame.locator("#daily .main-svg").first.wait_for(timeout=30_000)
        assert frame.locator(".main-svg").count() >= 3  # the year, the month, the daily bars
        shown = frame.locator("[data-period=year]").get_attribute("data-percent")
        missing = frame.locator("#missing").get_attribute("data-missing")
        page.screenshot(path=str(ARTIFACTS / "storyblok-usage.png"))
        page.evaluate("localStorage.setItem('theme', 'dark')")  # the UI's own setting for dark mode
        page.reload()
        frame.locator("html.dark body[data-loaded=true]").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "storyblok-usage-dark.png"))
        browser.close()
    assert shown is not None
    assert float(shown) == year.percent
    assert missing is not None
    assert int(missing) == (LAST - year.start).days + 1 - year.days_with_data
    assert errors == []
