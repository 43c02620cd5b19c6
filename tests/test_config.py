from __future__ import annotations

from datetime import date

import pytest

from storyblok_traffic.config import ConfigError, MonitorConfig, OrgConfig, load_config


def test_defaults_without_a_file(monkeypatch):
    monkeypatch.delenv("STORYBLOK_TRAFFIC_CONFIG", raising=False)
    config = load_config()
    assert [o.dag_id for o in config.organisations] == ["storyblok_traffic"]
    org = config.organisations[0]
    assert (org.org, org.metric, org.yearly_thresholds) == (
        "storyblok_default",
        "requests",
        (50, 75, 90, 100),
    )


def test_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "start_date: 2025-01-01\ncatchup: true\nwarehouse_schema: traffic\norganisations:\n"
        "  - conn_id: storyblok_eu\n    org: acme\n    metric: bytes\n    yearly_thresholds: [95, 80]\n"
    )
    config = load_config(path)
    assert config.start_date == date(2025, 1, 1)
    assert config.catchup is True
    [org] = config.organisations
    assert (org.org, org.metric, org.yearly_thresholds, org.dag_id) == (
        "acme",
        "bytes",
        (80.0, 95.0),
        "storyblok_traffic_storyblok_eu",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("warehouse_schema: 'x; drop table y'", "warehouse_schema"),
        ('warehouse_schema: "Quoted\\"name"', "warehouse_schema"),
        ("organisations:\n  - metric: seconds", "metric 'seconds'"),
        ("organisations:\n  - yearly_thresholds: [50, 1001]", "outside 0 < percent <= 1000"),
        ("organisations:\n  - yearly_thresholds: [50, 50]", "twice"),
        ("organisations:\n  - yearly_thresholds: []", "non-empty"),
        ("organisations:\n  - conn_id: 'a b'", "not a valid connection id"),
        ("organisations:\n  - conn_id: x\n  - conn_id: x", "configured twice"),
        ("start_date: tomorrow", "start_date 'tomorrow'"),
        ("colour: blue", "unknown setting(s) colour"),
        ("organisations: []", "at least one"),
        ("[unclosed", "not valid YAML"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_org_defaults_to_conn_id():
    assert OrgConfig(conn_id="sb_acme").org == "sb_acme"
    assert MonitorConfig().organisations[0].org == "storyblok_default"
