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
