"""The "Storyblok usage" API through FastAPI's test client, on a warehouse filled by the pipeline's tasks,
with Airflow's own auth manager deciding who may read (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from include.storyblok_simulator import SimulatorSettings
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.jobs.asset_days import load_days
from storyblok_traffic.jobs.daily import check_usage
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import Shared, shared
from tests.integration.pipeline import daily_runs
from tests.integration.test_fetching import client as sim_client

TODAY = datetime.now(UTC).date()
ORG = {"org": "storyblok_default"}
FIRST, LAST = TODAY - timedelta(days=12), TODAY - timedelta(days=1)


@pytest.fixture(scope="module")
def world(engine, warehouse_url) -> Iterator[Shared]:
    with shared(engine, warehouse_url, SimulatorSettings(today=TODAY, monthly_limit=100_000, spaces=8)) as found:
        yield found


@pytest.fixture(scope="module")
def api(airflow_db, world: Shared, engine, tmp_path_factory: pytest.TempPathFactory):
    """The API on one warehouse for the whole module: its tests only read (12 days of runs, once), but
    for the last one, which runs the daily DAG."""
    from airflow.api_fastapi.app import create_auth_manager
    from fastapi.testclient import TestClient

    from storyblok_traffic.ui.app import app

    with pytest.MonkeyPatch.context() as mp:
        config = tmp_path_factory.mktemp("api") / "monitor.yaml"
        config.write_text(f"warehouse_schema: {world.schema}\n")
        mp.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
        monitor = MonitorConfig(warehouse_schema=world.schema)
        daily_runs(OrgConfig(), monitor, FIRST, LAST)
        # and the days' files, as the daily DAG's load_assets writes them
        days = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
        load_days(sim_client(world.simulator), lambda: begin(engine, world.schema), ORG["org"], days)
        create_auth_manager()
        yield TestClient(app), monitor


def token(role: str | None) -> dict[str, str]:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    jwt = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=f"u-{role}", role=role))
    return {"Authorization": f"Bearer {jwt}"}


def test_no_user_is_401(api):
    client, _ = api
    assert client.get("/api/usage", params=ORG).status_code == 401
    assert (
        client.get("/api/usage.csv", params={"org": "storyblok_default", "from": FIRST, "to": LAST}).status_code == 401
    )


def test_a_user_without_read_access_to_the_dag_is_403(api):
    client, _ = api
    answer = client.get("/api/usage", params=ORG, headers=token(None))
    assert answer.status_code == 403
    assert "storyblok_traffic" in answer.json()["detail"]


def test_the_figures_are_check_usages_figures(api):
    client, monitor = api
    answer = client.get("/api/usage", params=ORG, headers=token("viewer"))
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert (doc["org"], doc["as_of"], doc["newest_day"]) == ("storyblok_default", str(LAST), str(LAST))
    summary = check_usage(LAST, OrgConfig(), monitor, today=TODAY)
    assert [
        (p["period"], p["start"], p["usage"], p["limit"], p["percent"], p["days_stored"]) for p in doc["periods"]
    ] == [(p.period, str(p.start), p.usage, p.limit, p.percent, p.days_with_data) for p in summary.periods]
    assert [d["day"] for d in doc["daily"]][-1] == str(LAST)
    assert sum(s["share"] for s in doc["top_spaces"]) == pytest.approx(100, abs=0.6)
    assert {a["status"] for a in doc["alerts"]} <= {"sent", "suppressed", "pending", "cleared"}
    assert doc["alerts"]  # the small plan is crossed in these days
    year = next(p for p in doc["periods"] if p["period"] == "year")
    stored = client.get(
        "/api/usage.csv", params={**ORG, "from": year["start"], "to": str(LAST)}, headers=token("viewer")
    ).text.splitlines()[1:]
    elapsed = (LAST - date.fromisoformat(year["start"])).days + 1
    assert year["days_missing"] == elapsed - len(stored) > 300  # only the last days were run
    for alert in doc["alerts"]:
        assert bool(alert["channels_delivered"]) == (alert["status"] in ("sent", "cleared")), alert


def test_the_bill_is_the_stored_days_on_the_plan_storyblok_s_limit_points_to(api):
    """The simulator's limit of 100,000 a month is Starter's: the bill is Starter's, said assumed, and
    each meter's figures are the month's stored days (bytes only where they are in), billed by hand."""
    client, _ = api
    doc = client.get("/api/usage", params=ORG, headers=token("viewer")).json()
    bill = doc["bill"]
    assert (bill["plan"], bill["assumed"], bill["currency"], bill["billing"]) == ("starter", True, "USD", "monthly")
    assert bill["how"].startswith("Starter, assumed: Storyblok reports a monthly limit of 100,000 requests")
    month = next(p for p in doc["periods"] if p["period"] == "month")
    assert (bill["period_start"], bill["period_end"]) == (month["start"], month["end"])
    days = [d for d in doc["daily"] if month["start"] <= d["day"] <= str(LAST)]
    requests, size = bill["meters"]
    assert (requests["meter"], requests["used"]) == ("requests", sum(d["requests"] for d in days))
    assert requests["used"] == month["usage"]  # the same figure as the month's limit card
    with_bytes = [d["bytes"] for d in days if d["bytes"] is not None]
    assert (size["meter"], size["used"]) == ("bytes", sum(with_bytes))
    assert size["days_missing"] == (LAST - date.fromisoformat(month["start"])).days + 1 - len(with_bytes) > 0
    over = requests["used"] - 100_000  # Starter: 100,000 included, blocks of 1,000,000 at USD 10
    blocks = 0 if over <= 0 else -(-over // 1_000_000)
    assert (requests["overage_blocks"], float(requests["overage"])) == (blocks, blocks * 10)
    assert requests["maximum"] == 100_000
    if requests["used"] >= 100_000:  # the day the running total reached the maximum
        running, reached = 0, None
        for d in days:
            running += d["requests"]
            if reached is None and running >= 100_000:
                reached = d["day"]
        assert requests["maximum_on"] == reached
    assert float(bill["overage"]) == float(requests["overage"]) + float(size["overage"])
    # The bandwidth's month card projects what the bill projects: one figure, from the same complete days.
    [bandwidth] = [p for p in doc["periods"] if (p["meter"], p["period"]) == ("bytes", "month")]
    assert size["projected"] is not None
    assert bandwidth["forecast"]["usage_at_end"] == size["projected"]
    assert bandwidth["usage"] == size["used"]
    assert [(w["plan"], w["current"]) for w in bill["what_if"]] == [
        ("starter", True),
        ("growth", False),
        ("growth_plus", False),
    ]
    assert bill["plan_table_read_on"] == "2026-12-05"


def test_an_earlier_day_and_the_csv(api):
    client, _ = api
    day = LAST - timedelta(days=3)
    doc = client.get(
        "/api/usage", params={"org": "storyblok_default", "as_of": str(day)}, headers=token("viewer")
    ).json()
    assert doc["as_of"] == str(day)
    now = client.get("/api/usage", params=ORG, headers=token("viewer")).json()
    later = [a for a in now["alerts"] if a["crossed_on"] > str(day)]
    assert later  # the last days crossed more of the small plan
    assert {a["id"] for a in doc["alerts"]} == {a["id"] for a in now["alerts"]} - {a["id"] for a in later}
    csv = client.get(
        "/api/usage.csv",
        params={"org": "storyblok_default", "from": str(FIRST), "to": str(LAST)},
        headers=token("viewer"),
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "day,requests,bytes"
    assert len(lines) == 1 + (LAST - FIRST).days + 1
    assert lines[1].startswith(f"{FIRST},")


def test_the_files_of_a_range_with_share_change_and_hints_and_their_csv(api, world):
    client, _ = api
    model = world.simulator.model
    first, last = LAST - timedelta(days=5), LAST
    served = {a["id"]: a for a in model.assets_traffic(first, last)}
    # The last day's bytes are not counted yet (the simulator's, as Storyblok's), nor are its files: the files
    # are counted and compared through the day before, against as many days before the range.
    through = last - timedelta(days=1)
    assert model.day_rows(last)[0][2] is None
    before = {
        a["id"]: a["total_bytes"] for a in model.assets_traffic(first - timedelta(days=5), first - timedelta(days=1))
    }
    bandwidth = sum(size or 0 for d in range(6) for _, _, size in model.day_rows(first + timedelta(days=d)))
    params = {**ORG, "from": str(first), "to": str(last), "limit": "5"}
    doc = client.get("/api/assets", params=params, headers=token("viewer")).json()
    assert (doc["days"], doc["days_with_files"], doc["bandwidth"]) == (6, 5, bandwidth)
    assert doc["files_through"] == str(through)
    top = sorted(served.values(), key=lambda a: (-a["total_bytes"], a["id"]))[:5]
    assert [(a["asset_id"], a["bytes"]) for a in doc["assets"]] == [(a["id"], a["total_bytes"]) for a in top]
    first_row, file = doc["assets"][0], top[0]
    assert first_row["share"] == round(100 * file["total_bytes"] / bandwidth, 1)
    assert first_row["change_pct"] == round(100 * (file["total_bytes"] - before[file["id"]]) / before[file["id"]], 1)
    assert first_row["times_served"] == file["total_bytes"] // file["content_length"]
    assert (first_row["filename"], first_row["content_type"]) == (file["filename"], file["content_type"])
    space = str(file["space_id"])
    in_space = client.get("/api/assets", params={**params, "space": space}, headers=token("viewer")).json()
    assert {a["space_id"] for a in in_space["assets"]} == {space}
    space_bandwidth = sum(
        size or 0 for d in range(6) for s, _, size in model.day_rows(first + timedelta(days=d)) if str(s) == space
    )
    assert in_space["bandwidth"] == space_bandwidth
    csv = client.get("/api/assets.csv", params=params, headers=token("viewer"))
    lines = csv.text.splitlines()
    assert lines[0].split(",") == [
        *("asset_id", "filename", "space_id", "content_type", "content_length", "deleted", "is_private"),
        *("bytes", "times_served", "share", "change_pct"),
    ]
    assert [int(line.split(",")[0]) for line in lines[1:]] == [a["id"] for a in top]
    reversed_range = {**params, "from": str(last), "to": str(first)}
    assert client.get("/api/assets", params=reversed_range, headers=token("viewer")).json()["assets"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "named"),
    [
        ("/api/usage", {"org": "nobody"}, 404, "org 'nobody' is not a monitored organisation; monitored: storyblok_"),
        ("/api/usage", {"org": "storyblok_default", "as_of": "2026-13-01"}, 422, "as_of"),
        ("/api/usage", {"org": "storyblok_default", "as_of": "0001-01-01"}, 422, "as_of: '0001-01-01' is not a day"),
        ("/api/usage", {"org": "storyblok_default", "as_of": "0"}, 422, "as_of: '0' is not a day YYYY-MM-DD from 2000"),
        ("/api/usage", {"org": "storyblok_default", "as_of": "2026-02-30"}, 422, "as_of: '2026-02-30' is not a"),
        ("/api/usage.csv", {"org": "storyblok_default", "to": str(LAST)}, 422, "from: Field required"),
        (
            "/api/usage.csv",
            {"org": "storyblok_default", "from": "x", "to": str(LAST)},
            422,
            "from: 'x' is not a day YYYY-MM-DD",
        ),
        ("/api/usage.csv", {"org": "storyblok_default", "from": str(FIRST), "to": "0"}, 422, "to: '0' is not a day"),
        ("/api/usage.csv", {**ORG, "from": "2009-04-31", "to": str(LAST)}, 422, "from: '2009-04-31' is not a calendar"),
        ("/api/assets", {**ORG, "from": str(FIRST), "to": str(LAST), "space": "x1"}, 422, "space"),
        ("/api/assets", {**ORG, "from": str(FIRST), "to": str(LAST), "limit": "0"}, 422, "limit"),
    ],
)
def test_bad_parameters_are_4xx_naming_the_parameter(api, path, params, status, named):
    client, _ = api
    answer = client.get(path, params=params, headers=token("viewer"))
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"detail"}  # the body the document declares for every error
    assert isinstance(answer.json()["detail"], str)
    assert named in answer.json()["detail"]


def test_the_api_is_documented_to_a_user_only(api):
    client, _ = api
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/docs").status_code == 404  # FastAPI's page loads its assets from a CDN: not served
    document = client.get("/openapi.json", headers=token("viewer")).json()
    paths = document["paths"]
    assert set(paths) == {
        "/api/usage",
        "/api/usage.csv",
        "/api/assets",
        "/api/assets.csv",
        "/api/overview",
        "/api/silences",
        "/api/silences/{silence_id}/expire",
    }
    operations = [(f"{method} {name}", op) for name, path in paths.items() for method, op in path.items()]
    for name, operation in operations:
        # The overview takes no parameter and lists only what the user may read: no 403, 404 or 422.
        said = {"200", "401"} if name == "get /api/overview" else {"200", "401", "403", "404", "422"}
        if "silences" in name:  # refused as ended or kept in the configuration (409); a new one is a 201
            said = said - ({"200"} if name == "post /api/silences" else set()) | {"409"}
            said |= {"201", "400"} if name == "post /api/silences" else set()  # 400: a body that is not JSON
        # Every route reads the configuration (503 when it is invalid), and nothing unforeseen is a bare 500.
        assert set(operation["responses"]) == said | {"500", "503"}, name
        for parameter in operation.get("parameters", []):
            if parameter["name"] in ("as_of", "from", "to"):  # a day the calendar has, said to any client
                assert parameter["schema"].get("format") or parameter["schema"]["anyOf"][0]["format"] == "date"
    assert "HTTPValidationError" not in document["components"]["schemas"]  # 422 is the one Error body
    usage = paths["/api/usage"]["get"]["responses"]
    assert usage["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/NotFound")
    assert "last_failure" in document["components"]["schemas"]["Usage"]["required"]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_api_serves_what_its_document_says(api, mode):
    """Schemathesis, every check on, as a logged-in viewer: no 500, every answer as documented, valid
    requests accepted and invalid ones rejected. (Its pytest plugin does not load on pytest 9; the
    operations' strategies are driven by hypothesis here instead.) A request the document allows is
    never a 422: what the document says of a day (its shape, ``format: date``) is all that is checked,
    and a future day or a reversed range has a documented meaning (no 422 is accepted here: it once
    hid ``as_of=2072-11-17`` and ``from=2009-04-31``, both refused while the document allowed them)."""
    from schemathesis.generation.modes import GenerationMode

    from storyblok_traffic.ui.app import app

    viewer = token("viewer")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=viewer)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.path for op in operations} == {
        "/api/usage",
        "/api/usage.csv",
        "/api/assets",
        "/api/assets.csv",
        "/api/overview",
        "/api/silences",
        "/api/silences/{silence_id}/expire",
    }
    for operation in operations:
        # Half the cases name the monitored organisation: a random one is a 404 before any day is read.
        cases = operation.as_strategy(GenerationMode(mode)) | operation.as_strategy(GenerationMode(mode), query=ORG)

        @given(case=cases)
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def served_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=viewer)

        served_as_documented()


def test_the_page_and_its_chart_library_are_served_to_a_user_only(api):
    client, _ = api
    assert client.get("/").status_code == 401
    assert client.get("/static/plotly.min.js").status_code == 401
    page = client.get("/", headers=token("viewer"))
    assert page.status_code == 200
    assert '<option value="storyblok_default" selected>storyblok_default</option>' in page.text
    assert '<script src="/static/plotly.min.js"></script>' in page.text  # from the plugin, never a CDN
    assert "cdn" not in page.text.lower()
    tab = client.get("/dag/storyblok_traffic", headers=token("viewer"))
    assert tab.status_code == 200
    assert "storyblok_default" in tab.text
    assert 'id="banner"' not in tab.text
    # Airflow shows the tab on every DAG: another DAG's tab says it is not an organisation's.
    other = client.get("/dag/storyblok_traffic_watchdog", headers=token("viewer"))
    assert other.status_code == 200
    assert "storyblok_traffic_watchdog does not fetch an organisation" in other.text
    assert "showing storyblok_default, the organisation monitored." in other.text  # no other to choose
    forbidden = client.get("/dag/storyblok_traffic", headers=token(None))
    assert forbidden.status_code == 403
    assert "no read access to the DAG storyblok_traffic of org" in forbidden.text
    library = client.get("/static/plotly.min.js", headers=token("viewer"))
    assert library.status_code == 200
    assert library.headers["content-type"].startswith("text/javascript")
    assert len(library.content) > 1_000_000


@pytest.mark.parametrize(
    ("path", "params", "allowed"),
    [
        ("/api/usage", {**ORG, "as_of": "2072-11-17"}, True),  # once a 422 the document did not state
        ("/api/usage", {**ORG, "as_of": str(TODAY)}, True),
        ("/api/usage.csv", {**ORG, "from": "2009-04-31", "to": str(LAST)}, False),  # not a calendar day
        ("/api/usage.csv", {**ORG, "from": str(FIRST), "to": "2072-11-17"}, True),
        ("/api/usage.csv", {**ORG, "from": str(LAST), "to": str(FIRST)}, True),
    ],
)
def test_what_the_document_allows_is_answered_and_only_that(api, path, params, allowed):
    """The parameters checked against the served document (its pattern and ``format: date``, as a
    client's validator checks them): what it allows is answered 200, what it refuses is a 422."""
    import jsonschema

    client, _ = api
    document = client.get("/openapi.json", headers=token("viewer")).json()
    declared = {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validators = {name: jsonschema.Draft202012Validator(s, format_checker=checker) for name, s in declared.items()}
    valid = all(validators[name].is_valid(value) for name, value in params.items())
    assert valid == allowed
    answer = client.get(path, params=params, headers=token("viewer"))
    assert answer.status_code == (200 if allowed else 422), answer.text


def test_a_day_not_before_today_is_the_newest_stored_day_and_a_range_ends_yesterday(api):
    client, _ = api
    for day in (TODAY, date(2072, 11, 17)):
        doc = client.get("/api/usage", params={**ORG, "as_of": str(day)}, headers=token("viewer")).json()
        assert doc["as_of"] == doc["newest_day"] == str(LAST)  # what the page shows without as_of
    viewer = token("viewer")
    future = client.get("/api/usage.csv", params={**ORG, "from": str(FIRST), "to": "2072-11-17"}, headers=viewer)
    assert future.text.splitlines()[-1].startswith(f"{LAST},")
    assert f"-{FIRST}-{TODAY - timedelta(days=1)}.csv" in future.headers["content-disposition"]
    reversed_ = client.get("/api/usage.csv", params={**ORG, "from": str(LAST), "to": str(FIRST)}, headers=viewer)
    assert reversed_.status_code == 200
    assert reversed_.text.splitlines() == ["day,requests,bytes"]  # no day is in it


def test_with_one_organisation_org_may_be_left_out_and_with_several_it_is_asked_for(api, tmp_path, monkeypatch):
    client, monitor = api
    viewer = token("viewer")
    assert (
        client.get("/api/usage", headers=viewer).json() == client.get("/api/usage", params=ORG, headers=viewer).json()
    )
    days = {"from": str(FIRST), "to": str(LAST)}
    csv = client.get("/api/usage.csv", params=days, headers=viewer)
    assert csv.text == client.get("/api/usage.csv", params={**ORG, **days}, headers=viewer).text
    assert csv.text.count("\n") == (LAST - FIRST).days + 2  # the header and every day run
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"warehouse_schema: {monitor.warehouse_schema}\norganisations:\n  - conn_id: storyblok_default\n"
        "  - conn_id: storyblok_acme\n    org: acme\n"
    )
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    for path, params in (("/api/usage", {}), ("/api/usage.csv", days)):
        answer = client.get(path, params=params, headers=viewer)
        assert (answer.status_code, answer.json()) == (422, {"detail": "org: required, one of storyblok_default, acme"})
    assert client.get("/api/usage", params=ORG, headers=viewer).status_code == 200


def test_an_invalid_configuration_is_a_503_naming_the_file_and_the_setting(api, tmp_path, monkeypatch):
    """The issue's newcomer: a misspelled setting. Every route answers the documented JSON, never a bare 500."""
    client, _ = api
    config = tmp_path / "monitor.yaml"
    config.write_text("organisations:\n  - conn_id: storyblok_default\n    monthly_treshold: [80]\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    for path, params in (
        ("/api/usage", ORG),
        ("/api/usage.csv", {**ORG, "from": str(FIRST), "to": str(LAST)}),
        ("/api/overview", {}),
    ):
        answer = client.get(path, params=params, headers=token("viewer"))
        assert answer.status_code == 503, (path, answer.text)
        assert answer.headers["content-type"] == "application/json"
        [detail] = answer.json().values()
        assert detail.startswith("the monitor's configuration is invalid: STORYBLOK_TRAFFIC_CONFIG file ")
        assert str(config) in detail
        assert (
            "organisation 'storyblok_default': unknown setting monthly_treshold: did you mean monthly_thresholds?"
            in detail
        )
    assert client.get("/api/usage", params=ORG).status_code == 401  # the login is asked first
    page = client.get("/", headers=token("viewer"))
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert f'<code id="problem-file">{config}</code>' in page.text
    assert "unknown setting monthly_treshold: did you mean monthly_thresholds?" in page.text


def test_an_unforeseen_error_is_a_500_saying_it_is_logged_and_nothing_else(api, monkeypatch, caplog):
    """The warehouse unreachable (a connection with a password): a documented JSON 500 with an id the
    API server's log has with the traceback; neither the password nor the traceback is answered."""
    client, _ = api
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", "postgres://someone:pw-s3cret-42@127.0.0.1:1/nowhere")
    with caplog.at_level("ERROR", logger="storyblok_traffic.ui.app"):
        answer = client.get("/api/usage", params=ORG, headers=token("viewer"))
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    [detail] = answer.json().values()
    assert detail.startswith("an unexpected error (OperationalError) on GET /api/usage; it is logged in the Airflow")
    reference = detail.rsplit(" ", 1)[-1]
    [logged] = [r for r in caplog.records if reference in r.getMessage()]
    assert logged.exc_info is not None  # the traceback is in the log
    assert "pw-s3cret-42" not in answer.text
    assert "Traceback" not in answer.text


def test_a_failing_organisation_is_named_with_its_failed_run(api, world, tmp_path):
    """Its token refused (401): nothing stored, and the 404 says which run failed, when, where and why;
    an organisation with stored days that then fails carries ``last_failure`` beside its figures,
    and loses it once a run succeeds again. The token is in no answer."""
    from storyblok_traffic.ui.runs import last_failure
    from tests.integration.ui.failing import BROKEN, WRONG_TOKEN, failing_config, run_daily_dag

    client, monitor = api
    config = tmp_path / "monitor.yaml"
    config.write_text(failing_config(monitor.warehouse_schema))
    with pytest.MonkeyPatch.context() as mp:
        simulator = world.simulator
        failed = run_daily_dag(mp, config, BROKEN, simulator, WRONG_TOKEN, LAST)
        assert str(failed.state) == "failed"
        answer = client.get("/api/usage", params={"org": BROKEN}, headers=token("viewer"))
        assert answer.status_code == 404, answer.text
        body = answer.json()
        failure = body["last_failure"]
        assert (failure["dag_id"], failure["run_id"], failure["task_id"]) == (
            "storyblok_traffic_storyblok_broken",
            failed.run_id,
            "fetch_traffic",
        )
        assert failure["failed_at"] is not None
        assert datetime.fromisoformat(failure["failed_at"]) >= failed.start_date
        assert "401" in failure["error"]
        assert "check the connection's Access token" in failure["error"]
        assert body["detail"].startswith(f"org '{BROKEN}' has no stored traffic yet: the newest run of its DAG")
        assert failed.run_id in body["detail"]
        assert WRONG_TOKEN not in answer.text
        assert _statements(lambda: last_failure(failure["dag_id"])) == 1  # cheap: one query per request

        # Stored days, then a failed run of the same DAG: the figures and the failure, side by side.
        default = run_daily_dag(mp, config, "storyblok_default", simulator, WRONG_TOKEN, LAST)
        doc = client.get("/api/usage", params=ORG, headers=token("viewer")).json()
        assert doc["newest_day"] == str(LAST)
        assert (doc["last_failure"]["run_id"], doc["last_failure"]["task_id"]) == (default.run_id, "fetch_traffic")
        assert simulator.settings.token not in json.dumps(doc)
        assert WRONG_TOKEN not in json.dumps(doc)
        recovered = run_daily_dag(mp, config, "storyblok_default", simulator, simulator.settings.token, LAST)
        assert str(recovered.state) == "success"
        assert client.get("/api/usage", params=ORG, headers=token("viewer")).json()["last_failure"] is None


def _statements(call: Callable[[], object]) -> int:
    """How many statements ``call`` sends to Airflow's metadata database."""
    from airflow import settings
    from sqlalchemy import event

    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    event.listen(settings.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(settings.engine, "before_cursor_execute", count)
    return len(sent)


def test_an_unforeseen_error_on_the_page_is_told_in_its_layout(caplog):
    """The page's routes answer the same way inside the page's layout: an app with the dashboard's own
    error layer and a page route that fails (nothing of ours reaches such a failure on demand)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from storyblok_traffic.ui.app import _LoggedErrors

    probe = FastAPI()
    probe.add_middleware(_LoggedErrors)

    @probe.get("/dag/{dag_id}")
    def failing(dag_id: str) -> None:
        raise KeyError("postgres://someone:pw-s3cret-42@warehouse")

    with caplog.at_level("ERROR", logger="storyblok_traffic.ui.app"):
        answer = TestClient(probe).get("/dag/storyblok_traffic")
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert '<section id="problem" class="problem" role="alert" data-problem="error">' in answer.text
    assert "an unexpected error (KeyError) on GET /dag/storyblok_traffic; it is logged" in answer.text
    assert "pw-s3cret-42" not in answer.text
    [logged] = [r for r in caplog.records if r.exc_info]
    assert "pw-s3cret-42" in str(logged.exc_info[1])  # the log has it all (a user is not shown it)


def test_silences_are_read_by_viewers_and_made_and_expired_by_editors_only(api):
    """Issue 38: a viewer sees the silences and no right to make one (403 on every change); an editor of
    the organisation's DAG makes one, expires it, and every change is listed with who made it."""
    client, _ = api
    viewer, editor = token("viewer"), token("user")
    seen = client.get("/api/silences", params=ORG, headers=viewer)
    assert seen.status_code == 200
    assert seen.json()["may_edit"] is False
    new = {"org": "storyblok_default", "kind": ["cheaper"], "hours": 2, "reason": "plan review"}
    refused = client.post("/api/silences", json=new, headers=viewer)
    assert refused.status_code == 403
    assert "no edit access to the DAG storyblok_traffic" in refused.json()["detail"]
    assert client.post("/api/silences", json=new).status_code == 401

    made = client.post("/api/silences", json=new, headers=editor)
    assert made.status_code == 201
    assert made.json()["may_edit"] is True
    [row] = [s for s in made.json()["silences"] if s["reason"] == "plan review"]
    assert (row["matches"], row["state"], row["created_by"], row["source"]) == (
        "kind=cheaper",
        "active",
        "u-user",
        "dashboard",
    )
    expire = f"/api/silences/{row['id']}/expire"
    assert client.post(expire, params=ORG, headers=viewer).status_code == 403
    ended = client.post(expire, params=ORG, headers=editor)
    assert ended.status_code == 200
    [after] = [s for s in ended.json()["silences"] if s["id"] == row["id"]]
    assert after["state"] == "ended"
    assert [(c["who"], c["what"].split(":")[0]) for c in after["changes"]] == [
        ("u-user", "made (dashboard)"),
        ("u-user", "expired (dashboard)"),
    ]
    again = client.post(expire, params=ORG, headers=editor)
    assert again.status_code == 409
    assert "ended already" in again.json()["detail"]
    assert client.post("/api/silences/999999/expire", params=ORG, headers=editor).status_code == 404
    blank = client.post("/api/silences", json={**new, "reason": "   "}, headers=editor)
    assert blank.status_code == 422
    assert blank.json()["detail"] == "reason: say why (not only spaces)"
    quarter = client.post("/api/silences", json={**new, "period": ["quarter"]}, headers=editor)
    assert quarter.status_code == 422
    assert (
        quarter.json()["detail"]
        == "period.0: 'quarter' is not year, month, organisation or a space's series (space 100021)"
    )
    everything = client.post("/api/silences", json={**new, "kind": []}, headers=editor)
    assert everything.status_code == 422
    assert everything.json()["detail"].startswith("match: name at least one of kind, meter, period, severity or space")
