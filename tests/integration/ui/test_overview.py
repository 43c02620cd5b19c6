"""The overview of every organisation (``/api/overview``): one row each with both meters' percent, the
projected bill, the open alerts and the newest day, each figure what the organisation's own page says,
the most urgent first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storyblok_traffic.config import load_config
from storyblok_traffic.jobs.daily import check_usage
from tests.integration.ui.test_api import token

GB = 10**9
LAST = datetime.now(UTC).date() - timedelta(days=1)
DAYS = [LAST - timedelta(days=i) for i in range(40)]
CONFIG = """warehouse_schema: {schema}
channels: []
organisations:
  - {{conn_id: sb_calm, org: calm}}
  - {{conn_id: sb_alerts, org: alerts}}
  - {{conn_id: sb_over, org: over, plan: growth}}
  - {{conn_id: sb_old, org: old}}
"""


@pytest.fixture
def client(airflow_db, history, schema, tmp_path, monkeypatch):
    from airflow.api_fastapi.app import create_auth_manager
    from fastapi.testclient import TestClient

    from storyblok_traffic.ui.app import app

    monitor = tmp_path / "monitor.yaml"
    monitor.write_text(CONFIG.format(schema=schema))
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(monitor))
    start = DAYS[-1]
    history.limit("calm", start, 800_000)  # no plan: the requests alone, at a few percent
    history.meters("calm", {d: (2_000, GB) for d in DAYS})
    history.limit("alerts", start, 800_000)  # 26,000 a day: the month's thresholds crossed, no plan
    history.meters("alerts", {d: (26_000, GB) for d in DAYS})
    history.limit("over", start, 1_000_000)  # Growth: requests within, bandwidth past its 400 GB
    history.meters("over", {d: (10_000, 120 * GB) for d in DAYS})
    # Three years, its limit raised twice: the overview reads its periods' days, the page its history.
    history.limit("old", LAST - timedelta(days=1000), 100_000)
    history.limit("old", LAST - timedelta(days=400), 300_000)
    history.limit("old", LAST - timedelta(days=10), 500_000)
    history.meters("old", {LAST - timedelta(days=i): (5_000 + i % 7 * 1_000, GB) for i in range(1100)})
    config = load_config()
    for org in config.organisations:
        check_usage(LAST, org, config, today=LAST + timedelta(days=1))
    with history.engine.begin() as conn:  # told, as delivery leaves them: open while their period lasts
        conn.exec_driver_sql(f"UPDATE \"{schema}\".usage_alerts SET status = 'sent' WHERE org = 'alerts'")
    create_auth_manager()
    return TestClient(app)


def test_every_organisation_with_the_figures_of_its_own_page_the_most_urgent_first(client):
    answer = client.get("/api/overview", headers=token("viewer"))
    assert answer.status_code == 200, answer.text
    rows = answer.json()["organisations"]
    # Past a limit first (bandwidth on Growth), then the most alerts open, then the highest percent.
    assert [r["org"] for r in rows] == ["over", "alerts", "old", "calm"]
    for row in rows:
        page = client.get("/api/usage", params={"org": row["org"]}, headers=token("viewer")).json()
        assert row["newest_day"] == page["newest_day"] == str(LAST)
        assert [(m["meter"], m["period"], m["usage"], m["limit"], m["percent"]) for m in row["meters"]] == [
            (p["meter"], p["period"], p["usage"], p["limit"], p["percent"]) for p in page["periods"]
        ]
        assert row["projected_bill"] == page["bill"]["projected_total"]
        assert row["open_alerts"] == page["open_alerts"]
        assert row["highest_percent"] == max(p["percent"] for p in page["periods"])
    over = rows[0]
    # Bandwidth in the period Growth bills it, the month; the requests against Storyblok's year and month.
    assert [(m["meter"], m["period"]) for m in over["meters"]] == [
        ("requests", "year"),
        ("requests", "month"),
        ("bytes", "month"),
    ]
    assert over["highest_percent"] >= 100
    assert (over["plan"], over["currency"]) == ("growth", "USD")
    assert rows[1]["open_alerts"] > rows[3]["open_alerts"] == 0
    assert [m["meter"] for m in rows[3]["meters"]] == ["requests", "requests"]  # no plan: one meter
    assert rows[2]["meters"][1]["limit"] == 500_000  # the limit in force on its newest day


def test_the_overview_needs_a_user_and_shows_only_what_they_may_read(client):
    assert client.get("/api/overview").status_code == 401
    assert client.get("/api/overview", headers=token(None)).json() == {"organisations": []}


def test_the_nav_entry_opens_on_the_overview_and_a_dag_tab_on_its_organisation(client):
    first = client.get("/", headers=token("viewer")).text
    assert '"overview" === "overview"' in first
    tab = client.get("/dag/storyblok_traffic_sb_over", headers=token("viewer")).text
    assert '"organisation" === "overview"' in tab


def test_the_overview_in_a_browser_opens_an_organisation_from_its_row(client, airflow_db):
    """The page as the UI's iframe loads it (under its prefix, with the UI's cookie), in Chromium."""
    import threading
    import time

    import uvicorn
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi import FastAPI
    from playwright.sync_api import sync_playwright

    from include.net import free_port
    from storyblok_traffic.ui.app import app
    from tests.integration.ui.test_browser import CHROMIUM, FLAGS

    outer = FastAPI()
    outer.mount("/storyblok-usage", app)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(outer, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/storyblok-usage/"
    jwt = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="u-viewer", role="viewer"))
    errors: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_cookies([{"name": "_token", "value": jwt, "url": url}])
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            page.locator("body[data-loaded=true]").wait_for(timeout=30_000)
            order = page.locator("#overview tr[data-org]").evaluate_all("rows => rows.map(r => r.dataset.org)")
            over = page.locator("#overview tr[data-org=over]").inner_text()
            details_hidden = page.locator("#details").is_hidden()
            page.locator("[data-open=alerts]").click()
            page.locator("[data-period=month]").wait_for(timeout=30_000)
            chosen = page.locator("#org").input_value()
            overview_hidden = page.locator("#overview-section").is_hidden()
            browser.close()
    finally:
        server.should_exit = True
    assert order == ["over", "alerts", "old", "calm"]
    assert details_hidden  # the overview came first
    assert overview_hidden  # and the row opened the organisation's page
    assert "USD" in over  # its projected bill
    assert chosen == "alerts"
    assert errors == []
