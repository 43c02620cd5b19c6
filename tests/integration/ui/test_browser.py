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
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from include.airflow_stack import QUIET_PATHSPEC
from include.net import free_port
from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.jobs.asset_days import load_days
from storyblok_traffic.jobs.daily import check_usage
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import Shared, shared
from tests.integration.pipeline import daily_runs
from tests.integration.test_fetching import client as sim_client

if TYPE_CHECKING:
    from playwright.sync_api import Frame, Page

TODAY = datetime.now(UTC).date()
FIRST, LAST = TODAY - timedelta(days=40), TODAY - timedelta(days=1)
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# axe-core, pinned in include/axe/package-lock.json and installed by `make axe` (a prerequisite of `make pytest`).
AXE = Path(__file__).resolve().parents[3] / "include" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def world(engine, warehouse_url) -> Iterator[Shared]:
    """One simulator, receiver and schema for the module's tests: they share one API server (each start
    costs CI half a minute: an ``airflow dags reserialize`` and the server's own start)."""
    with shared(engine, warehouse_url, SimulatorSettings(today=TODAY, monthly_limit=800_000, spaces=8)) as found:
        yield found


@pytest.fixture(scope="module")
def simulator(world: Shared) -> StoryblokSimulator:
    return world.simulator


@pytest.fixture(scope="module")
def schema(world: Shared) -> str:
    return world.schema


@pytest.fixture(scope="module")
def server_config(world: Shared, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API server's configuration file: read on every request, so a test may change it for a while."""
    config = tmp_path_factory.mktemp("config") / "monitor.yaml"
    # On Growth by its configuration (Storyblok's limit of 800,000 says otherwise: the page tells so).
    orgs = "organisations: [{conn_id: storyblok_default, plan: growth}]"
    config.write_text(f"warehouse_schema: {world.schema}\n{orgs}\n")
    return config


@contextmanager
def configured(config: Path, text: str) -> Iterator[None]:
    """The server's configuration file reads ``text`` for the block, and as before after it."""
    before = config.read_text()
    config.write_text(text)
    try:
        yield
    finally:
        config.write_text(before)


@pytest.fixture(scope="module")
def api_server(
    airflow_db, world: Shared, engine, server_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    schema, tmp_path, config = world.schema, tmp_path_factory.mktemp("api-server"), server_config
    daily_runs(OrgConfig(), MonitorConfig(warehouse_schema=schema), FIRST, LAST)
    # and the month's files, as the daily DAG's load_assets writes them
    month = [LAST.replace(day=1) + timedelta(days=n) for n in range(LAST.day)]
    load_days(sim_client(world.simulator), lambda: begin(engine, schema), "storyblok_default", month)
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({"alice": "alice-password", "root": "root-password"}))
    port = free_port()
    env = os.environ | {
        "STORYBLOK_TRAFFIC_CONFIG": str(config),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "alice:viewer,root:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",  # the UI's Test button
        "PYTHONWARNINGS": QUIET_PATHSPEC,
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    # The DAG files parsed as the dag-processor would, so that their import errors (if any) are in the database.
    subprocess.run([airflow, "dags", "reserialize"], env=env, check=True, capture_output=True, timeout=300)
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


def test_a_fresh_install_shows_no_import_error_and_its_test_button_works(api_server, simulator):
    """The plugin registers once however it is installed, and the DAG files import cleanly, as the API
    server reports them to the UI's home page (its red "Plugin Import Error" badge). A Storyblok
    connection saved through the UI's form passes its Test button; one with a wrong token fails it
    with the 401 hint. (One API server for both: each start costs CI half a minute.)"""
    import requests
    from playwright.sync_api import sync_playwright

    login = requests.post(
        f"{api_server}/auth/token", json={"username": "root", "password": "root-password"}, timeout=30
    )
    assert login.status_code in (200, 201), login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    plugins = requests.get(f"{api_server}/api/v2/plugins", headers=headers, timeout=30).json()
    assert [p["name"] for p in plugins["plugins"]].count("storyblok_usage") == 1
    plugin_errors = requests.get(f"{api_server}/api/v2/plugins/importErrors", headers=headers, timeout=30)
    assert plugin_errors.status_code == 200, plugin_errors.text
    assert plugin_errors.json()["import_errors"] == []
    dag_errors = requests.get(f"{api_server}/api/v2/importErrors", headers=headers, timeout=30)
    assert dag_errors.status_code == 200, dag_errors.text
    assert dag_errors.json()["import_errors"] == []
    dags = requests.get(f"{api_server}/api/v2/dags", headers=headers, timeout=30).json()
    assert {d["dag_id"] for d in dags["dags"]} >= {"storyblok_traffic", "storyblok_traffic_backfill"}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        _log_in(page, api_server, "root", "root-password")
        tested: dict[str, dict[str, Any]] = {}
        labels: list[list[str]] = []
        for conn_id, secret in (("sb_ui", simulator.settings.token), ("sb_wrong", "not-the-token")):
            page.goto(f"{api_server}/connections")
            page.get_by_role("button", name="Add Connection").click()
            form = page.get_by_role("dialog")
            form.locator("input").first.fill(conn_id)
            form.get_by_text("Select Connection Type").click(force=True)  # a combobox: type and pick
            page.keyboard.type("Storyblok")
            page.keyboard.press("Enter")
            form.get_by_placeholder("leave empty to use").fill(simulator.url)
            token = form.get_by_placeholder("personal access token")
            token.fill(secret)
            labels.append(token.evaluate("input => [...input.labels].map(label => label.textContent)"))
            form.get_by_role("button", name="Save").click()
            button = page.get_by_role("row").filter(has_text=conn_id).get_by_role("button", name="Test Connection")
            with page.expect_response("**/api/v2/connections/test") as answer:
                button.click()
            sent = answer.value.request.post_data_json or {}
            # The UI marks the outcome on the button: green for a working connection, red otherwise.
            page.wait_for_timeout(500)
            tested[conn_id] = {
                "sent": (sent["port"], sent["password"]),
                "status": answer.value.status,
                "body": answer.value.json(),
                "colour": button.locator("svg").get_attribute("color"),
            }
        browser.close()
    # What the UI sends: the hidden port as 0 and the token masked; the stored token is what is tested.
    good, wrong = tested["sb_ui"], tested["sb_wrong"]
    assert good["sent"] == (0, "***")
    assert good["status"] == 200, tested
    assert good["body"]["status"] is True, tested
    # The limits written with thousands separators and their unit (issue 37: "yearly traffic limit: 9600000").
    monthly = simulator.settings.monthly_limit
    assert good["body"]["message"] == (
        f"Connected to Storyblok at {simulator.url}; it reports a monthly limit of {monthly:,} requests "
        f"({monthly * 12:,} requests a year)"
    )
    assert "800,000 requests" in good["body"]["message"]
    assert good["colour"] == "green"
    assert wrong["status"] == 200, tested
    assert wrong["body"]["status"] is False
    assert "401 Unauthorized" in wrong["body"]["message"]
    # The field is named as the form labels it (the form showed that label for the token it was given).
    assert all(label == ["Access token"] for label in labels), labels
    hint = "(the Access token is missing, wrong or expired: check the connection's Access token)"
    assert hint in wrong["body"]["message"]
    assert "password" not in wrong["body"]["message"]
    assert wrong["colour"] == "red"


def _clipped(page: Page, size: tuple[int, int]) -> list[str]:
    """The chart labels (thresholds, spikes) that reach outside their chart at a window of ``size``."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_timeout(1000)  # plotly redraws on resize
    frame = _usage_frame(page)
    return list(
        frame.evaluate(
            """() => [...document.querySelectorAll('.chart')].flatMap(chart => {
                 const box = chart.getBoundingClientRect();
                 return [...chart.querySelectorAll('.annotation')].filter(a => {
                   const r = a.getBoundingClientRect();
                   return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1;
                 }).map(a => `${chart.id}: ${a.textContent}`);
               })"""
        )
    )


def _usage_frame(page: Page) -> Frame:
    """The usage page: the iframe's document. (The UI's own address names storyblok-usage too: a frame
    picked by its address was the UI's, where no chart is, and every measure of it came out empty.)"""
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame is not None
    return frame


@contextmanager
def _usage_page(api_server: str, width: int, user: str = "alice") -> Iterator[tuple[Page, Frame]]:
    """The usage page inside the UI, logged in as ``user`` (the viewer alice, or root, an admin), in a
    window ``width`` px wide (light)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme="light")
            _log_in(page, api_server, user, f"{user}-password")
            page.goto(f"{api_server}/plugin/storyblok-usage")
            page.frame_locator("iframe").locator("body[data-loaded=true]").wait_for(timeout=60_000)
            frame = _usage_frame(page)
            frame.locator("#daily .main-svg").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1000)  # plotly settles its first layout
            yield page, frame
        finally:
            browser.close()


def _go_dark(page: Page, frame: Frame) -> None:
    """User > Appearance > dark, as the UI does it: the page follows without a reload."""
    page.evaluate("localStorage.setItem('theme', 'dark'); document.documentElement.classList.add('dark')")
    frame.locator("html.dark body[data-loaded=true]").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # the charts drawn again in the dark colours


def _axe(frame: Frame) -> dict[str, Any]:
    """axe-core's verdict on the usage page's document: the serious and critical violations, one line
    each, and how many elements its colour-contrast rule checked (so that a pass is not an empty page)."""
    assert AXE.is_file(), f"{AXE} is missing: run `make axe` (npm ci in include/axe)"
    frame.evaluate(AXE.read_text())
    return dict(
        frame.evaluate(
            """async () => {
                 const found = await axe.run(document, {resultTypes: ['violations', 'passes']});
                 const contrast = found.passes.find(rule => rule.id === 'color-contrast');
                 return {
                   serious: found.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => `${v.impact} ${v.id}: ${v.nodes.length} elements, e.g. ` +
                               v.nodes.slice(0, 3).map(n => n.failureSummary.split('\\n').slice(-1)[0] +
                                                            ' at ' + n.target.join(' ')).join('; ')),
                   contrast_checked: contrast ? contrast.nodes.length : 0,
                 };
               }"""
        )
    )


def test_the_usage_page_has_no_serious_or_critical_accessibility_violation_light_or_dark(api_server):
    """Issue 37: axe-core found 40 colour-contrast failures in light mode (the muted gray, the blue link,
    orange and red on the cards); Airflow's own DAG list has three serious or critical rules. The usage
    page has none, in the UI's light mode and in its dark mode. (Issue 38, in the same session: the
    viewer alice sees the silences but no form, and the API refuses her one even when her browser asks.)"""
    with _usage_page(api_server, 1280) as (page, frame):
        light = _axe(frame)
        _go_dark(page, frame)
        dark = _axe(frame)
        background = frame.evaluate("getComputedStyle(document.body).backgroundColor")
        silences, form_hidden, asked = _silences_as_a_viewer(frame)
    assert background == "rgb(26, 32, 44)"  # measured in dark mode indeed
    assert (silences, form_hidden) == ("Silences", True)
    assert asked[0] == 403, asked
    assert "no edit access to the DAG storyblok_traffic" in asked[1]
    assert light["serious"] == [], light
    assert dark["serious"] == [], dark
    assert light["contrast_checked"] > 100, light  # the figures, tables and cards were there to check
    assert dark["contrast_checked"] > 100, dark


# The layout at one window width: sideways scroll, the alerts' last column, the tables' header cells over
# their columns, the threshold labels against the plot area where the lines are drawn.
LAYOUT = """() => {
  const box = (e) => e.getBoundingClientRect();
  const text = (cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return range.getBoundingClientRect();
  };
  const page = document.scrollingElement;
  const alerts = document.getElementById('alerts');
  const holder = alerts.parentElement;
  const lastCells = [...alerts.querySelectorAll('tr')].map((tr) => box(tr.lastElementChild).right);
  // Each column: its header's text and its values' text aligned at one edge (left, or right for figures).
  const misaligned = ['what-if', 'spaces'].flatMap((id) => {
    const rows = [...document.getElementById(id).rows];
    return [...rows[0].cells].flatMap((th, i) => rows.slice(1)
      .filter((tr) => tr.cells[i] && tr.cells[i].textContent.trim())
      .filter((tr) => { const h = text(th), v = text(tr.cells[i]);
                        return Math.abs(h.left - v.left) > 1 && Math.abs(h.right - v.right) > 1; })
      .map((tr) => `${id}: "${th.textContent}" over "${tr.cells[i].textContent.trim()}"`));
  });
  const labels = ['year', 'month'].flatMap((id) => {
    const chart = document.getElementById(id), plot = box(chart.querySelector('.nsewdrag')), edge = box(chart);
    return [...chart.querySelectorAll('.annotation')].map((a) => ({chart: id, text: a.textContent, r: box(a)}))
      .filter(({r}) => (r.left < plot.right && r.right > plot.left && r.top < plot.bottom && r.bottom > plot.top)
                       || r.right > edge.right + 1 || r.top < edge.top - 1)
      .map(({chart, text}) => `${chart}: ${text}`);
  });
  return {scroll: [page.scrollWidth, page.clientWidth], window: document.documentElement.clientWidth,
          alerts_last: Math.max(...lastCells), alerts_box: box(holder).right,
          alerts_hidden: holder.scrollWidth - holder.clientWidth,
          columns: alerts.rows[0].cells.length, misaligned, labels,
          label_count: document.querySelectorAll('#year .annotation, #month .annotation').length};
}"""


@pytest.mark.parametrize("width", [1280, 1440])
def test_at_1280_and_1440_px_the_page_fits_its_window_and_its_labels_and_headers_sit_right(api_server, width):
    """Issue 37, as a newcomer saw the page in a 1280 px window: it scrolled sideways, the alerts' status and
    delivery columns were out of view, the plan table's "bill" header stood far left of its figures, and
    the usage line crossed the threshold labels written inside the plot. Screenshots in tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    with _usage_page(api_server, width) as (page, frame):
        found = frame.evaluate(LAYOUT)
        page.screenshot(path=str(ARTIFACTS / f"storyblok-usage-{width}.png"))
    scroll_width, client_width = found["scroll"]
    assert scroll_width <= client_width, found  # no sideways scroll in the page itself
    assert found["columns"] == 6, found  # period, kind, threshold, crossed on, status, delivered to
    assert found["alerts_last"] <= min(found["alerts_box"], found["window"]), found  # "delivered to" in view
    assert found["alerts_hidden"] <= 0, found  # nor scrolled away inside its own box
    assert found["misaligned"] == [], found
    assert found["label_count"] == 6, found  # the year's limit, 90, 75, 50 %; the month's limit and 80 %
    assert found["labels"] == [], found  # each beside the plot, where no line is drawn


def _log_in(page: Page, url: str, user: str, password: str) -> None:
    page.goto(f"{url}/auth/login?next=/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda current: "/auth/login" not in current, timeout=30_000)


def test_the_dashboard_renders_the_pipelines_figures(api_server, schema, world):
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
        _log_in(page, api_server, "alice", "alice-password")
        page.get_by_role("button", name="Browse").click()
        page.get_by_role("menuitem", name="Storyblok usage").click()
        page.wait_for_url("**/plugin/storyblok-usage", timeout=30_000)
        frame = page.frame_locator("iframe")
        frame.locator("body[data-loaded=true]").wait_for(timeout=60_000)
        frame.locator("#daily .main-svg").first.wait_for(timeout=30_000)
        assert frame.locator(".main-svg").count() >= 3  # the year, the month, the daily bars
        shown = frame.locator("[data-period=year]").get_attribute("data-percent")
        missing = frame.locator("#missing").get_attribute("data-missing")
        year_card = frame.locator(".card", has=frame.locator("[data-period=year]")).inner_text()
        # Each threshold line its own dash, labelled at the right edge; no label outside its chart.
        dashes = frame.locator("#year").evaluate("el => el.data.filter(t => /%$/.test(t.name)).map(t => t.line.dash)")
        labels = frame.locator("#year").evaluate(
            "el => [...el.querySelectorAll('.annotation-text')].map(t => t.textContent)"
        )
        clipped = {size: _clipped(page, size) for size in ((1280, 800), (1920, 1080))}
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(1000)  # plotly redraws on resize: the screenshot below shows the charts settled
        open_card = frame.locator("#open-alerts").inner_text()
        open_rows = frame.locator("#alerts tr[data-group=open]").count()
        period_starts = frame.locator("#alerts").inner_text() + frame.locator("#quiet").inner_text()
        quiet_lines = frame.locator("#quiet summary").all_inner_texts()
        quiet_rows = frame.locator("#quiet details table tr").count()
        closed = frame.locator("[data-closed=month]").count()
        bandwidth_month = frame.locator("[data-meter-period=bytes-month]").get_attribute("data-percent")
        bandwidth = frame.locator("#meter-bytes").get_attribute("data-used")
        bandwidth_text = frame.locator("#meter-bytes").inner_text()
        projected = frame.locator("#projected-bill").get_attribute("data-total")
        projected_text = frame.locator("#projected-bill .big").inner_text()
        plan_text = frame.locator("#plan").inner_text()
        what_if = frame.locator("#what-if tr[data-plan]").count()
        # Each plan's last cell: can it carry the month? (issue 37: it read "over the maximum: requests")
        can_carry = dict(
            frame.locator("#what-if").evaluate(
                "t => [...t.querySelectorAll('tr[data-plan]')].map(r => [r.dataset.plan, r.lastElementChild.innerText])"
            )
        )
        page_text = frame.locator("body").inner_text()
        files = frame.locator("#files tr[data-asset]").evaluate_all("rows => rows.map(r => Number(r.dataset.asset))")
        files_note = frame.locator("#files-note").inner_text()
        frame.locator("#spaces tr[data-space]").first.click()  # a space's files
        frame.locator("#files-all").wait_for(state="visible", timeout=30_000)
        picked = frame.locator("#spaces tr[data-space]").first.get_attribute("data-space")
        frame.locator("#files-note").filter(has_text=f"Space {picked}").wait_for(timeout=30_000)
        space_files = frame.locator("#files tr[data-asset] td:nth-child(2)").all_inner_texts()
        frame.locator("#files-all").click()
        frame.locator("#files-all").wait_for(state="hidden", timeout=30_000)
        address = page.url
        page.screenshot(path=str(ARTIFACTS / "storyblok-usage.png"))
        # The UI switched to dark while the page is open (User > Appearance): the page follows, no reload.
        page.evaluate("localStorage.setItem('theme', 'dark'); document.documentElement.classList.add('dark')")
        frame.locator("html.dark body[data-loaded=true]").wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "storyblok-usage-dark.png"))
        # The view's address is shareable: opened again, it shows the same organisation and day.
        earlier = str(LAST - timedelta(days=3))
        frame.locator("#as_of").fill(earlier)
        frame.locator("#as_of").dispatch_event("change")
        page.wait_for_url(f"**as_of={earlier}**", timeout=30_000)
        shared = page.url
        page.goto(shared)
        page.frame_locator("iframe").locator("body[data-loaded=true]").wait_for(timeout=60_000)
        reopened = page.frame_locator("iframe").locator("#as_of").input_value()
        browser.close()
    assert len(dashes) == len(set(dashes)) == 3, dashes  # 50, 75 and 90 %
    assert {"limit", "50%", "75%", "90%"} <= set(labels)
    assert clipped == {(1280, 800): [], (1920, 1080): []}
    assert "org=storyblok_default" in address
    # The address as a person shares it: the UI's route once (Airflow appends its iframe's path to it).
    assert address.split("?")[0].endswith("/plugin/storyblok-usage"), address
    assert reopened == earlier
    assert int(open_card) == open_rows  # the card counts the rows it summarises
    assert "1970-01-01" not in period_starts
    assert closed == 1  # the month just closed is on the page
    assert shown is not None
    assert float(shown) == year.percent
    assert missing is not None
    assert int(missing) == (LAST - year.start).days + 1 - year.days_with_data
    # The days so far, stored or not, and those to come: never the whole year's as if missing.
    so_far, to_come = (LAST - year.start).days + 1, (year.last - LAST).days
    assert f"{year.days_with_data} of {so_far} days so far stored, {to_come} to come" in year_card
    assert errors == []
    served = world.simulator.model.assets_traffic(LAST.replace(day=1), LAST)
    assert files == [a["id"] for a in sorted(served, key=lambda a: (-a["total_bytes"], a["id"]))[:10]]
    # Yesterday's bytes are not counted yet (the simulator's, as Storyblok's): nor are its files. The files
    # are counted and compared through the day before, and the note says why the month stops there.
    counted = LAST - timedelta(days=1)
    if counted.month == LAST.month:
        assert f"to {counted} (the bytes of the days after {counted} are not counted yet)" in files_note
        assert f"files stored for {counted.day} of {counted.day} days" in files_note
    else:
        assert "no file's bytes are stored" in files_note
    assert space_files
    assert set(space_files) == {picked}
    usage = _usage(api_server)
    # The quiet history (the days before the lookback) folded a line per period, as the API folds it.
    # (Most days, last month's crossings are among them; late in a month its own are open, told live.)
    assert quiet_lines == [q["line"] for q in usage["quiet"]]
    assert quiet_rows == sum(len(q["rows"]) + 1 for q in usage["quiet"])  # each table: its head and rows
    bill = usage["bill"]
    [size] = [m for m in bill["meters"] if m["meter"] == "bytes"]
    # The bandwidth's own month card (against the plan's 400 GB) shows the percent /api/usage gives it.
    [month_bytes] = [p for p in usage["periods"] if (p["meter"], p["period"]) == ("bytes", "month")]
    assert bandwidth_month is not None
    assert float(bandwidth_month) == month_bytes["percent"]
    assert month_bytes["limit"] == 400 * 10**9
    assert bandwidth is not None
    assert int(bandwidth) == size["used"]
    assert size["used_text"] in bandwidth_text
    assert "400 GB included, maximum 1,000 GB" in bandwidth_text
    assert projected == bill["projected_total"]
    assert projected_text == f"USD {float(bill['projected_total']):,.2f}"
    assert plan_text.startswith("Plan: Growth (configured), billed monthly")
    assert "Storyblok reports a monthly limit of 800,000 requests, but the configured plan (Growth)" in plan_text
    assert what_if == len(bill["what_if"]) == 3
    assert can_carry == {w["plan"]: w["over_maximum_text"] or "yes" for w in bill["what_if"]}
    # The month's projection (about 900,000 requests) is past Starter's cap of 100,000 alone.
    assert can_carry["starter"].startswith(
        "not possible on this plan: its hard cap of 100,000 API requests would be exceeded by "
    ), can_carry
    assert can_carry["starter"].endswith("requests; past a hard cap Storyblok's API refuses requests"), can_carry
    assert can_carry["growth"] == can_carry["growth_plus"] == "yes"
    assert "over the maximum" not in page_text


def _usage(url: str) -> dict[str, Any]:
    """``/api/usage`` as the viewer alice, through the API server's own login."""
    import requests

    login = requests.post(f"{url}/auth/token", json={"username": "alice", "password": "alice-password"}, timeout=30)
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    query = {"org": "storyblok_default"}
    answer = requests.get(f"{url}/storyblok-usage/api/usage", params=query, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _viewer_headers(url: str) -> dict[str, str]:
    import requests

    login = requests.post(f"{url}/auth/token", json={"username": "alice", "password": "alice-password"}, timeout=30)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_a_misspelled_setting_is_told_on_the_page_and_by_the_api(api_server, server_config):
    """The issue's newcomer: ``monthly_treshold`` in the file. The UI's page (its iframe) shows the file,
    the setting and why inside its layout, nothing else; the API answers the declared 503 as JSON."""
    import requests
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    misspelled = "organisations:\n  - conn_id: storyblok_default\n    monthly_treshold: [80]\n"
    with configured(server_config, misspelled), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("pageerror", lambda error: errors.append(str(error)))
        _log_in(page, api_server, "alice", "alice-password")
        page.goto(f"{api_server}/plugin/storyblok-usage")
        frame = page.frame_locator("iframe")
        frame.locator("body[data-loaded=true]").wait_for(timeout=60_000)
        problem = frame.locator("#problem")
        problem.wait_for(timeout=30_000)
        heading = frame.locator("h1").inner_text()
        text = problem.inner_text()
        shown_file = frame.locator("#problem-file").inner_text()
        message = frame.locator("#problem-message")
        fits = message.evaluate("el => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().width > 300")
        charts = frame.locator(".chart:visible").count()
        choosers = frame.locator("#org:visible, #as_of:visible").count()
        page.screenshot(path=str(ARTIFACTS / "storyblok-usage-configuration-error.png"))
        browser.close()
        answer = requests.get(
            f"{api_server}/storyblok-usage/api/usage",
            params={"org": "storyblok_default"},
            headers=_viewer_headers(api_server),
            timeout=30,
        )
    assert heading == "Storyblok usage"  # the page's own layout
    assert "The monitor's configuration is invalid" in text
    assert shown_file == str(server_config)
    assert (
        "organisation 'storyblok_default': unknown setting monthly_treshold: did you mean monthly_thresholds?" in text
    )
    assert fits  # wrapped to the page's width, not one line running off it
    assert (charts, choosers) == (0, 0)
    assert "Internal Server Error" not in text
    assert errors == []
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/json"
    assert str(server_config) in answer.json()["detail"]
    assert "monthly_treshold" in answer.json()["detail"]


def test_a_failing_organisation_s_page_names_its_failed_run(api_server, server_config, world):
    """Its token refused (401) in the daily DAG's run: the page (the DAG's Usage tab) says which run
    failed, when, in which task and why, instead of five empty charts; the token is nowhere on it."""
    import requests
    from playwright.sync_api import sync_playwright

    from tests.integration.ui.failing import BROKEN, WRONG_TOKEN, failing_config, run_daily_dag

    errors: list[str] = []
    with configured(server_config, failing_config(world.schema)), pytest.MonkeyPatch.context() as mp:
        run = run_daily_dag(mp, server_config, BROKEN, world.simulator, WRONG_TOKEN, LAST)
        assert str(run.state) == "failed"
        dag_id = f"storyblok_traffic_{BROKEN}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda error: errors.append(str(error)))
            _log_in(page, api_server, "alice", "alice-password")
            page.goto(f"{api_server}/storyblok-usage/dag/{dag_id}")
            page.locator("body[data-loaded=true]").wait_for(timeout=60_000)
            box = page.locator("#failure")
            box.wait_for(timeout=30_000)
            text = box.inner_text()
            shown_run = box.get_attribute("data-run-id")
            task_link = box.locator("a", has_text="fetch_traffic").get_attribute("href")
            charts = page.locator(".chart:visible").count()
            error_line = page.locator("#error").inner_text()
            content = page.content()
            page.screenshot(path=str(ARTIFACTS / "storyblok-usage-failed-run.png"))
            # An organisation with stored days whose newest run failed: its figures, and the failure above them.
            behind = run_daily_dag(mp, server_config, "storyblok_default", world.simulator, WRONG_TOKEN, LAST)
            try:
                page.goto(f"{api_server}/storyblok-usage/dag/storyblok_traffic")
                page.locator("#daily .main-svg").first.wait_for(timeout=60_000)
                behind_text = page.locator("#failure:visible").inner_text()
                behind_run = page.locator("#failure").get_attribute("data-run-id")
            finally:  # its newest run succeeds again, for whatever runs after
                good = world.simulator.settings.token
                run_daily_dag(mp, server_config, "storyblok_default", world.simulator, good, LAST)
            browser.close()
        answer = requests.get(
            f"{api_server}/storyblok-usage/api/usage",
            params={"org": BROKEN},
            headers=_viewer_headers(api_server),
            timeout=30,
        )
    assert shown_run == run.run_id
    assert f"The newest run of {dag_id} failed" in text
    assert run.run_id in text
    assert "in task fetch_traffic" in text
    assert "401" in text
    assert "check the connection's Access token" in text
    assert f"failed at {run.start_date:%Y-%m-%d}" in text  # when (UTC, to the second)
    assert " UTC, in task fetch_traffic" in text
    assert "Nothing is stored for this organisation yet" in text
    assert task_link is not None
    assert task_link.endswith("/tasks/fetch_traffic")
    assert charts == 0  # no empty charts under it
    assert error_line == ""
    assert WRONG_TOKEN not in content
    assert world.simulator.settings.token not in content
    assert errors == []
    assert answer.status_code == 404
    assert answer.json()["last_failure"]["run_id"] == run.run_id
    assert behind_run == behind.run_id
    assert "The newest run of storyblok_traffic failed" in behind_text
    assert "The figures below are those stored before it: they may be behind." in behind_text


def _silences_as_a_viewer(frame: Frame) -> tuple[str, bool, list[Any]]:
    """The Silences heading, whether the form is hidden, and what the API answers the page's own request
    for a silence (status, detail)."""
    asked = frame.evaluate(
        """async () => {
             const answer = await fetch(`${ROOT}/api/silences`, {method: "POST", credentials: "same-origin",
               headers: {"Content-Type": "application/json"},
               body: JSON.stringify({org: "storyblok_default", kind: ["spike"], hours: 4, reason: "mine"})});
             return [answer.status, (await answer.json()).detail];
           }"""
    )
    return frame.locator("#silences-section h2").inner_text(), frame.locator("#silence-form").is_hidden(), asked


def test_a_silence_is_made_and_expired_in_the_dashboard_by_an_editor(api_server):
    """Issue 38: root, an admin, makes a silence with the form, sees it hold with who made it, and
    expires it; the page keeps WCAG AA with the form shown, light and dark. (A viewer: above.)"""
    with _usage_page(api_server, 1280, user="root") as (page, frame):
        form = frame.locator("#silence-form")
        form.locator("select[name=kind]").select_option("actual")
        form.locator("select[name=period]").select_option("month")
        form.locator("select[name=hours]").select_option("24")
        ends = form.locator("#silence-ends").inner_text()  # when it would end, before it is made
        form.locator("input[name=reason]").fill("CDN migration")
        form.get_by_role("button", name="Silence").click()
        row = frame.locator("#silences tr[data-state=active]", has_text="CDN migration")
        row.wait_for(timeout=30_000)
        cells = row.locator("td").all_inner_texts()
        accessible = _axe(frame)
        _go_dark(page, frame)
        accessible_dark = _axe(frame)
        row.get_by_role("button", name="Expire").click()  # asked first, in the row; kept: it holds on
        question = row.get_by_role("status").inner_text()
        row.get_by_role("button", name="Keep it").click()
        page.wait_for_timeout(500)
        still = frame.locator(f"#silences tr[data-silence='{cells[0]}']").get_attribute("data-state")
        row.get_by_role("button", name="Expire").click()
        row.get_by_role("button", name="End it").click()
        frame.locator(f"#silences tr[data-silence='{cells[0]}'][data-state=ended]").wait_for(timeout=30_000)
        changes = frame.locator(f"#silences tr[data-silence='{cells[0]}'] details li").all_text_contents()
        # A notice's link that names a space opens the view with that space marked.
        second = frame.locator("#spaces tr[data-space]").nth(1).get_attribute("data-space")
        page.goto(f"{api_server}/plugin/storyblok-usage?org=storyblok_default&space={second}")
        page.frame_locator("iframe").locator("body[data-loaded=true]").wait_for(timeout=60_000)
        frame = _usage_frame(page)
        marked = frame.locator("#spaces tr.focus").get_attribute("data-space")
        focus = frame.locator("#space-focus").inner_text()
    assert cells[1:4] == ["kind=actual, period=month", "active", cells[3]]
    assert cells[3].endswith(" UTC")
    made_until = datetime.strptime(cells[3], "%Y-%m-%d %H:%M UTC")
    assert abs(datetime.strptime(ends, "until %Y-%m-%d %H:%M UTC") - made_until) <= timedelta(minutes=1)
    assert still == "active"
    assert question == "End it now? What it holds is sent at the next delivery."
    assert cells[5] == "root (dashboard)"
    assert [c.split(" UTC ", 1)[1].split(":")[0] for c in changes] == ["root", "root"]
    assert "expired" in changes[1]
    assert accessible["serious"] == [], accessible
    assert accessible_dark["serious"] == [], accessible_dark
    assert marked == second
    assert focus.startswith(f"The notice's space {second}: ")
    assert focus.endswith("of the organisation's (marked below).")
