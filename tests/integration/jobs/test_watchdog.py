"""The watchdog: one "monitor silent" notice per silence episode, one "monitor back" when checks resume."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.errors import NotificationError
from storyblok_traffic.jobs.daily import check_usage
from storyblok_traffic.jobs.watchdog import watch_checks
from tests.integration.pipeline import SLACK

ORG = OrgConfig(conn_id="sb", org="acme", silence_after_hours=36)
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def test_silence_is_told_once_and_the_return_once(history, schema, engine, receiver):
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,))
    history.limit("acme", date(2026, 1, 1), 100_000)
    history.days("acme", {date(2026, 6, 7): 10})
    check_usage(date(2026, 6, 7), ORG, config, today=date(2026, 6, 8))
    with engine.begin() as conn:  # that check completed 35 hours before NOW
        conn.execute(
            text(f'UPDATE "{schema}".evaluation_marks SET checked_at = :at'), {"at": NOW - timedelta(hours=35)}
        )

    assert watch_checks(config, NOW) == {"acme": False}
    assert receiver.messages == []
    assert watch_checks(config, NOW + timedelta(hours=1)) == {"acme": True}
    assert watch_checks(config, NOW + timedelta(hours=2)) == {"acme": True}  # the same silence: no second notice
    [silent] = receiver.texts()
    assert silent.startswith("Storyblok traffic: monitor silent for acme\n")
    assert "No usage check has completed for 36 hours (allowed: 36), the last one on 2026-06-09" in silent

    check_usage(date(2026, 6, 8), ORG, config, today=date(2026, 6, 9))  # checks resume (checked_at: now)
    assert watch_checks(config, datetime.now(UTC)) == {"acme": False}
    assert watch_checks(config, datetime.now(UTC)) == {"acme": False}
    back = receiver.texts()[1:]
    assert len(back) == 1
    assert back[0].startswith("Storyblok traffic: monitor back for acme\n"), back


def test_a_silence_whose_notice_failed_is_told_with_the_return(history, schema, engine, receiver):
    """The channel refused "monitor silent"; checks resumed before the next try. The return supersedes
    it, and both go out in one message: the silence is never lost."""
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,))
    history.limit("acme", date(2026, 1, 1), 100_000)
    history.days("acme", {date(2026, 6, 7): 10})
    check_usage(date(2026, 6, 7), ORG, config, today=date(2026, 6, 8))
    with engine.begin() as conn:
        conn.execute(text(f'UPDATE "{schema}".evaluation_marks SET checked_at = :at'), {"at": NOW})
    receiver.fail_next = 1
    with pytest.raises(NotificationError, match="slack"):
        watch_checks(config, NOW + timedelta(hours=37))
    assert receiver.messages == []
    check_usage(date(2026, 6, 8), ORG, config, today=date(2026, 6, 9))  # checks resume
    assert watch_checks(config, datetime.now(UTC)) == {"acme": False}
    [both] = receiver.texts()
    assert both.startswith("Storyblok traffic: monitor silent for acme\n")
    assert "No usage check has completed for 37 hours" in both
    assert "Usage checks completed again on" in both
    assert watch_checks(config, datetime.now(UTC)) == {"acme": False}
    assert len(receiver.messages) == 1


def test_an_organisation_never_checked_is_silent_from_when_the_watchdog_first_saw_it(
    schema, engine, warehouse_conn, receiver
):
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,))
    assert watch_checks(config, NOW) == {"acme": False}  # first sight: the clock starts
    assert watch_checks(config, NOW + timedelta(hours=36)) == {"acme": True}
    [silent] = receiver.texts()
    assert "monitor silent for acme" in silent


def test_the_watchdog_dag_tells_the_channel(
    airflow_db, warehouse_conn, receiver, engine, schema, tmp_path, monkeypatch
):
    from storyblok_traffic.warehouse.migrations import migrate

    migrate(engine, schema)
    with engine.begin() as conn:  # the daily DAG's last check completed 40 hours ago
        conn.execute(
            text(f'INSERT INTO "{schema}".evaluation_marks (org, checked_at) VALUES (:org, :at)'),
            {"org": "storyblok_default", "at": datetime.now(UTC) - timedelta(hours=40)},
        )
    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    from tests.dag_loading import load_dags

    run = load_dags()["storyblok_traffic_watchdog"].test()
    assert str(run.state) == "success"
    assert {ti.task_id: str(ti.state) for ti in run.get_task_instances()} == {"watch_checks": "success"}
    [notice] = receiver.texts()
    assert notice.startswith("Storyblok traffic: monitor silent for storyblok_default\n")
    assert "No usage check has completed for 40 hours (allowed: 36)" in notice


def test_a_configuration_that_does_not_load_is_told_once_and_its_return_once(
    airflow_db, warehouse_conn, receiver, engine, schema, tmp_path, monkeypatch
):
    """A misspelled setting takes every DAG but the watchdog away: the watchdog tells the channels of the
    last configuration that loaded, once per error, fails every hour, and says when the file loads again."""
    from airflow.dag_processing.dagbag import DagBag

    from storyblok_traffic.warehouse.migrations import migrate
    from tests.dag_loading import ROOT, load_dags

    migrate(engine, schema)
    config = tmp_path / "monitor.yaml"
    good = f"warehouse_schema: {schema}\n"
    config.write_text(good)
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    assert str(load_dags()["storyblok_traffic_watchdog"].test().state) == "success"  # its channels kept
    assert receiver.texts() == []

    config.write_text(good + "organisations:\n  - conn_id: storyblok_default\n    monthy_thresholds: [80]\n")
    for _ in range(2):  # two hourly runs on the broken file: one notice
        bag = DagBag(dag_folder=str(ROOT / "dags"))
        assert len(bag.import_errors) == 3  # the daily, the digest and the backfill DAG files
        assert sorted(bag.dags) == ["storyblok_traffic_watchdog"]
        run = bag.dags["storyblok_traffic_watchdog"].test()
        assert str(run.state) == "failed"  # red in Airflow, every hour
    [broken] = receiver.texts()
    assert broken.startswith(
        "URGENT Storyblok traffic: the monitor's configuration does not load: no usage is checked\n"
    )
    assert "unknown setting monthy_thresholds: did you mean monthly_thresholds? No usage is checked" in broken
    assert str(config) in broken

    config.write_text(good)
    assert str(load_dags()["storyblok_traffic_watchdog"].test().state) == "success"
    assert str(load_dags()["storyblok_traffic_watchdog"].test().state) == "success"
    [back] = receiver.texts()[1:]  # once
    assert back.startswith("Storyblok traffic: the monitor's configuration loads again\n")
    assert back.endswith("did you mean monthly_thresholds?")  # its own words, with no stop added after them
