"""``make run`` and ``make demo``: a bad monitor configuration stops them before anything starts."""

from __future__ import annotations

import pytest

from include.devstack import check_config


def test_a_bad_configuration_stops_the_stack_naming_the_file_and_the_setting(tmp_path):
    config = tmp_path / "monitor.yaml"
    config.write_text("organisations:\n  - conn_id: acme\n    refetch_days: -1\n")
    with pytest.raises(SystemExit) as stop:
        check_config({"STORYBLOK_TRAFFIC_CONFIG": str(config)})
    assert str(config) in str(stop.value)
    assert "refetch_days must be a whole number from 0 to 31, got -1" in str(stop.value)


def test_a_good_or_absent_configuration_passes(tmp_path):
    config = tmp_path / "monitor.yaml"
    config.write_text("organisations:\n  - conn_id: acme\n")
    check_config({"STORYBLOK_TRAFFIC_CONFIG": str(config)})
    check_config({})


def test_a_long_step_says_how_it_is_doing_and_how_long_it_took(monkeypatch, capsys):
    import threading

    from include import devstack

    monkeypatch.setattr(devstack, "HEARTBEAT_SECONDS", 0.05)
    beats = threading.Event()
    counted = iter(range(1, 100))

    def status() -> str:
        n = next(counted)
        if n >= 3:
            beats.set()
        return f"{n} of 12 months stored"

    with devstack.step("loading the history 2026-01-01..2026-11-01 (quiet)", status):
        assert beats.wait(5)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[devstack] loading the history 2026-01-01..2026-11-01 (quiet)"
    assert lines[1].startswith("[devstack]   ... loading the history 2026-01-01..2026-11-01: 0 s, 1 of 12")
    assert any(", 3 of 12 months stored" in line for line in lines)
    assert lines[-1].startswith("[devstack]   done in 0 s: loading the history")


def test_the_ui_port_and_address_come_from_the_environment(tmp_path):
    import json
    import os
    import subprocess
    import sys

    probe = (
        "import json; from include import devstack as d; e = d.base_env(); "
        "print(json.dumps([d.UI, e['AIRFLOW__API__PORT'], e['AIRFLOW__API__HOST']]))"
    )

    def seen(**env: str) -> list[str]:
        clean = {
            k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "AIRFLOW__API__PORT", "AIRFLOW__API__HOST")
        }
        out = subprocess.run([sys.executable, "-c", probe], env=clean | env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.splitlines()[-1])

    assert seen() == ["http://localhost:8080", "8080", "127.0.0.1"]  # this machine only, unless asked
    assert seen(PORT="8099") == ["http://localhost:8099", "8099", "127.0.0.1"]
    everywhere = "0.0.0.0"  # noqa: S104 (asked for: the network)
    assert seen(AIRFLOW__API__PORT="8098", HOST=everywhere) == ["http://localhost:8098", "8098", everywhere]


def test_the_cli_hint_points_at_the_warehouse_database():
    from include.devstack import cli_hint

    hint = cli_hint(
        {
            "AIRFLOW_CONN_STORYBLOK_WAREHOUSE": "postgres://postgres@127.0.0.1:5544/storyblok",
            "STORYBLOK_TRAFFIC_CONFIG": "/x/monitor.yaml",
        }
    )
    assert hint.startswith("STORYBLOK_TRAFFIC_CONFIG=/x/monitor.yaml ")
    assert hint.endswith("storyblok-traffic report --url postgresql+psycopg://postgres@127.0.0.1:5544/storyblok")
    secret = cli_hint({"AIRFLOW_CONN_STORYBLOK_WAREHOUSE": "postgres://ops:s3cret@db:5432/storyblok"})
    assert "s3cret" not in secret
    assert secret.endswith("--url postgresql+psycopg://ops:***@db:5432/storyblok")


def test_the_task_logs_are_in_airflows_base_log_folder(tmp_path):
    from include.devstack import task_log_folder

    assert task_log_folder({"AIRFLOW_HOME": str(tmp_path)}) == tmp_path / "logs"
    elsewhere = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(tmp_path / "x")}
    assert task_log_folder(elsewhere) == tmp_path / "x"


def test_clearing_no_task_logs_says_nothing(tmp_path, capsys):
    from include.devstack import clear_task_logs

    clear_task_logs(tmp_path / "logs")  # no folder yet
    (tmp_path / "logs" / "dag_processor").mkdir(parents=True)
    clear_task_logs(tmp_path / "logs")
    assert capsys.readouterr().out == ""
    assert (tmp_path / "logs" / "dag_processor").is_dir()


def test_the_runs_states_are_said_in_words():
    from include.devstack import _runs_text

    assert _runs_text({"success": 30}) == "30 runs: 30 succeeded"
    assert _runs_text({"failed": 2, "success": 28}) == "30 runs: 28 succeeded, 2 failed"
    assert _runs_text({"failed": 1}) == "1 run: 1 failed"
    assert _runs_text({}) == "no runs"


def test_the_demo_keeps_its_first_day_and_refuses_an_earlier_versions_state(tmp_path, monkeypatch):
    from datetime import date

    from include import devstack
    from include.demo import DemoCalendar

    monkeypatch.setattr(devstack, "STATE", tmp_path)
    (tmp_path / "pg").mkdir()  # a stack ran here before the demo's first day was kept
    with pytest.raises(SystemExit) as stop:
        devstack.demo_calendar({})
    assert "rm -rf .devstack" in str(stop.value)
    assert devstack.demo_calendar({"STORYBLOK_TRAFFIC_CONFIG": "/mine.yaml"}).started  # your own: carries on
    (tmp_path / "demo-started").write_text("2026-12-07\n")
    assert devstack.demo_calendar({}) == DemoCalendar(date(2026, 12, 7))  # a later start keeps the contract day


@pytest.mark.parametrize(
    ("started", "month_start"),
    [
        ("2026-12-07", "2026-12-02"),
        ("2027-01-03", "2026-12-28"),
        ("2027-03-05", "2027-02-28"),
        ("2027-04-04", "2027-03-28"),
    ],
)
def test_the_demos_month_starts_five_to_eight_days_back_on_a_day_every_month_has(started, month_start):
    from datetime import date

    from include.demo import DemoCalendar

    calendar = DemoCalendar(date.fromisoformat(started))
    assert calendar.month_start == date.fromisoformat(month_start)
    assert calendar.lookback_days == (calendar.started - calendar.closing_day).days <= 9
