"""DAG integrity, as in Astronomer's project template: imports, tags, retries; plus our own promises."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.dag_loading import ROOT, load_dags

TASK_IDS = {
    "fetch_traffic",
    "upsert_traffic",
    "check_usage",
    "send_notices",
    "usage_within_limits",
    "load_assets",
    "assets_loaded",
}


@pytest.fixture(scope="module")
def dags() -> dict:
    return load_dags()


def test_no_import_errors_and_default_dags(dags):
    assert sorted(dags) == [
        "storyblok_traffic",
        "storyblok_traffic_backfill",
        "storyblok_traffic_digest",
        "storyblok_traffic_watchdog",
    ]


def test_the_digest_dag_is_weekly_one_task_and_created_paused(dags):
    dag = dags["storyblok_traffic_digest"]
    assert dag.task_ids == ["send_digest"]
    assert dag.timetable.expression == "0 8 * * 1"  # the default: Mondays 08:00 UTC
    assert dag.is_paused_upon_creation is True  # an email to the bill's owners starts when someone decides
    assert dag.catchup is False
    assert "week" in dag.params


def test_tags_retries_and_docs(dags):
    for dag in dags.values():
        assert {"storyblok", "traffic"} <= set(dag.tags)
        assert dag.doc_md
        for task in dag.tasks:
            assert task.retries >= 1, task.task_id
            assert task.doc_md, task.task_id


def test_flow_and_task_settings(dags):
    dag = dags["storyblok_traffic"]
    assert set(dag.task_ids) == TASK_IDS
    assert dag.get_task("fetch_traffic").downstream_task_ids == {"upsert_traffic", "load_assets"}
    assert dag.get_task("upsert_traffic").downstream_task_ids == {"check_usage"}
    assert dag.get_task("load_assets").downstream_task_ids == {"check_usage", "assets_loaded"}
    # the check runs whether the file load succeeded or not (it skips itself when the upsert did not succeed)
    assert dag.get_task("check_usage").trigger_rule == "all_done"
    assert dag.get_task("check_usage").downstream_task_ids == {
        "send_notices",
        "usage_within_limits",
    }
    assert dag.get_task("fetch_traffic").pool == dag.get_task("load_assets").pool == "storyblok_api"
    assert dag.get_task("fetch_traffic").retry_exponential_backoff
    assert not any(task.depends_on_past for task in dag.tasks)  # no run ever waits for another (issue 11)
    assert [a.name for a in dag.get_task("upsert_traffic").outlets] == ["storyblok_traffic_storyblok_default"]
    assert dag.on_failure_callback


def test_one_dag_per_configured_connection(tmp_path, monkeypatch):
    config = tmp_path / "monitor.yaml"
    config.write_text(
        "catchup: true\nstart_date: 2025-06-01\norganisations:\n"
        "  - conn_id: storyblok_default\n  - conn_id: storyblok_acme\n    org: acme\n    limit_meter: bytes\n"
    )
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    dags = load_dags()
    assert sorted(dags) == [
        "storyblok_traffic",
        "storyblok_traffic_backfill",
        "storyblok_traffic_digest",
        "storyblok_traffic_storyblok_acme",
        "storyblok_traffic_storyblok_acme_digest",
        "storyblok_traffic_watchdog",
    ]
    acme = dags["storyblok_traffic_storyblok_acme"]
    assert acme.catchup is True
    assert acme.start_date.date().isoformat() == "2025-06-01"
    assert acme.get_task("fetch_traffic").storyblok_conn_id == "storyblok_acme"
    assert acme.get_task("fetch_traffic").org == "acme"


def test_an_organisation_without_asset_traffic_has_no_file_load_and_a_plain_check(tmp_path, monkeypatch):
    config = tmp_path / "monitor.yaml"
    config.write_text("organisations:\n  - conn_id: storyblok_default\n    asset_traffic: false\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    dag = load_dags()["storyblok_traffic"]
    assert not {"load_assets", "assets_loaded"} & set(dag.task_ids)
    assert dag.get_task("check_usage").trigger_rule == "all_success"


def test_plugins_folder_loader_skips_the_package():
    """Airflow imports every .py in plugins/ under its bare name (``operator``!) unless ignored."""
    from airflow._shared.module_loading import find_path_from_directory

    found = [p for p in find_path_from_directory(str(ROOT / "plugins"), ".airflowignore") if p.endswith(".py")]
    assert found == []


def test_backfill_dag_has_a_validated_form(dags):
    dag = dags["storyblok_traffic_backfill"]
    assert dag.timetable.__class__.__name__ == "NullTimetable"  # manual runs only
    assert set(dag.params) == {"start_date", "end_date", "source", "organisation"}
    assert dag.params.get_param("source").schema["enum"] == ["api", "stored"]
    assert dag.params.get_param("organisation").schema["enum"] == ["storyblok_default"]
    assert dag.params.get_param("start_date").schema["format"] == "date"
    assert dag.get_task("load_months").pool == "storyblok_api"


def dag_hashes() -> dict[str, str]:
    from airflow.serialization.serialized_objects import LazyDeserializedDAG

    return {dag_id: LazyDeserializedDAG.from_dag(dag).hash for dag_id, dag in load_dags().items()}


def test_serialized_dags_do_not_depend_on_the_parse_day():
    """Any change of the serialized DAG is a new DAG version: a parse-time clock makes one every day."""
    import time_machine

    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
        first = dag_hashes()
    with time_machine.travel(datetime(2027, 7, 21, 3, tzinfo=UTC), tick=False):
        later = dag_hashes()
    assert set(first) == {
        "storyblok_traffic",
        "storyblok_traffic_backfill",
        "storyblok_traffic_digest",
        "storyblok_traffic_watchdog",
    }
    assert later == first


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (date(2026, 1, 1), date(2026, 3, 9))),
        ("2025-11-01", None, (date(2025, 11, 1), date(2026, 3, 9))),
        (None, "2025-12-31", (date(2025, 1, 1), date(2025, 12, 31))),
        ("", "", (date(2026, 1, 1), date(2026, 3, 9))),
    ],
)
def test_blank_form_dates_are_resolved_when_the_run_starts(start, end, expected):
    from storyblok_traffic.jobs.backfill import checked_range

    days = checked_range(start, end, today=date(2026, 3, 10))
    assert (days.first, days.last) == expected


def test_a_bad_configuration_is_an_import_error_naming_the_file_and_setting(tmp_path, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    config = tmp_path / "monitor.yaml"
    config.write_text("organisations:\n  - conn_id: acme\n    limit_meter: furlongs\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert len(bag.import_errors) == 3  # the daily, the digest and the backfill DAG files
    for message in bag.import_errors.values():
        assert f"{config}: limit_meter 'furlongs' is not one of requests, bytes" in message
    # The watchdog stays: it tells the channels the monitor stopped (tests/integration/jobs/test_watchdog.py).
    [watchdog] = bag.dags.values()
    assert (watchdog.dag_id, list(watchdog.task_ids)) == ("storyblok_traffic_watchdog", ["tell_unusable_configuration"])
    assert f"{config}: limit_meter 'furlongs' is not one of requests, bytes" in (watchdog.doc_md or "")


def test_a_users_dag_file_of_three_lines_brings_every_dag(tmp_path, dags):
    """The package's DAG factories (issue 25): a DAG folder with the three-line file of
    ``storyblok_traffic.dags``'s docstring, as a user's Airflow would have it, gets the same DAGs as
    this repository's dags/, each located in that file."""
    from airflow.dag_processing.dagbag import DagBag

    import storyblok_traffic.dags as factories

    documented = factories.__doc__.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    (tmp_path / "storyblok.py").write_text("\n".join(line.strip() for line in documented.splitlines()) + "\n")
    bag = DagBag(dag_folder=str(tmp_path))
    assert bag.import_errors == {}
    assert sorted(bag.dags) == sorted(dags)
    assert {dag.fileloc for dag in bag.dags.values()} == {str(tmp_path / "storyblok.py")}
    for dag_id, dag in bag.dags.items():
        assert dag.task_ids == dags[dag_id].task_ids
