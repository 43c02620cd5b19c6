from __future__ import annotations

import re
from datetime import date

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from storyblok_traffic.config import ChannelConfig, ConfigError, MonitorConfig, OrgConfig, load_config


def test_defaults_without_a_file(monkeypatch):
    monkeypatch.delenv("STORYBLOK_TRAFFIC_CONFIG", raising=False)
    config = load_config()
    assert [o.dag_id for o in config.organisations] == ["storyblok_traffic"]
    org = config.organisations[0]
    assert (org.org, org.limit_meter, org.yearly_thresholds) == (
        "storyblok_default",
        "requests",
        (50, 75, 90, 100),
    )


def test_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "start_date: 2025-01-01\ncatchup: true\nwarehouse_schema: traffic\norganisations:\n"
        "  - conn_id: storyblok_eu\n    org: acme\n    limit_meter: bytes\n    yearly_thresholds: [95, 80]\n"
    )
    config = load_config(path)
    assert config.start_date == date(2025, 1, 1)
    assert config.catchup is True
    [org] = config.organisations
    assert (org.org, org.limit_meter, org.yearly_thresholds, org.dag_id) == (
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
        ("organisations:\n  - limit_meter: seconds", "limit_meter 'seconds'"),
        ("organisations:\n  - yearly_thresholds: [50, 1001]", "outside 0 < percent <= 1000"),
        ("organisations:\n  - yearly_thresholds: [50, 50]", "twice"),
        ("organisations:\n  - yearly_thresholds: 50", "must be a list of percents"),
        ("organisations:\n  - year_start_month: 2\n    year_start_day: 30", "are not a date"),
        ("organisations:\n  - alert_lookback_days: -1", "alert_lookback_days must be a whole number"),
        ("organisations:\n  - forecast_min_days: 40", "forecast_min_days must be a whole number from 7 to 28"),
        ("organisations:\n  - channels: [pager]", "unknown channel(s) pager"),
        ("channels:\n  - {name: mail, type: email, conn_id: smtp_default}", "needs 'to'"),
        ("channels:\n  - {name: s, type: sms, conn_id: x}", "type 'sms' is not one of"),
        ("channels:\n  - {name: s, type: slack, conn_id: x, to: a@b.c}", "only apply to email"),
        ("channels:\n  - {name: m, type: email, conn_id: x, to: [nobody]}", "'nobody' is not an email"),
        ("channels:\n  - {name: s, type: slack}", "missing conn_id"),
        ("channels:\n  - {name: s, type: slack, conn_id: x}\n  - {name: s, type: webhook, conn_id: y}", "used twice"),
        ("organisations:\n  - conn_id: 'a b'", "not a valid connection id"),
        (f"organisations:\n  - conn_id: {'c' * 201}", "(it defaults to conn_id: set org)"),
        ("organisations:\n  - conn_id: x\n  - conn_id: x", "configured twice"),
        ("start_date: tomorrow", "start_date 'tomorrow'"),
        ("colour: blue", "unknown setting colour; known: "),
        ("organisations: []", "at least one"),
        ("[unclosed", "not valid YAML"),
        ("auto_migrate: maybe", "auto_migrate 'maybe' must be true or false"),
        ("organisations:\n  - max_gap_days: 400", "max_gap_days must be a whole number from 0 to 366, got 400"),
        (
            "organisations:\n  - silence_after_hours: 0",
            "silence_after_hours must be a whole number from 1 to 744, got 0",
        ),
        ("organisations:\n  - spike_factor: 1", "spike_factor must be 0 (off) or a number above 1"),
        ("organisations:\n  - spike_factor: lots", "spike_factor"),
        ("organisations:\n  - spike_min_requests: -5", "spike_min_requests must be a whole number from 0"),
        ("organisations:\n  - spike_window_days: 7", "spike_window_days must be a whole number from 14 to 366"),
        ("organisations:\n  - spike_noise_days: 7", "spike_noise_days must be a whole number from 28 to 366"),
        ("organisations:\n  - spike_min_month_pct: 150", "spike_min_month_pct must be a percentage from 0 to 100"),
        ("organisations:\n  - spike_min_month_pct: some", "spike_min_month_pct must be a percentage"),
        ("organisations:\n  - spike_back_to_normal: sometimes", "spike_back_to_normal"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)  # the file too: the message reaches the UI's import errors


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_org_defaults_to_conn_id():
    assert OrgConfig(conn_id="sb_acme").org == "sb_acme"
    assert MonitorConfig().organisations[0].org == "storyblok_default"


def test_alerting_settings(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "channels:\n"
        "  - {name: slack, type: slack, conn_id: hooks}\n"
        "  - {name: ops-mail, type: email, conn_id: smtp_default, to: [ops@example.com, cto@example.com]}\n"
        "  - {name: json, type: webhook, conn_id: collector}\n"
        "organisations:\n"
        "  - conn_id: a\n    monthly_thresholds: []\n    forecast_thresholds: [90, 100]\n"
        "    year_start_month: 4\n    year_start_day: 15\n    alert_lookback_days: 7\n    channels: [ops-mail]\n"
        "  - conn_id: b\n"
    )
    config = load_config(path)
    a, b = config.organisations
    assert (a.monthly_thresholds, a.forecast_thresholds, a.year_start, a.alert_lookback_days) == (
        (),
        (90, 100),
        (4, 15),
        7,
    )
    assert [c.name for c in config.channels_for(a)] == ["ops-mail"]
    assert config.channels_for(a)[0].to == ("ops@example.com", "cto@example.com")
    assert [c.name for c in config.channels_for(b)] == ["slack", "ops-mail", "json"]
    assert (b.monthly_thresholds, b.forecast_thresholds, b.stale_after_days) == ((80, 100), (100,), 2)


# The spellings the checks in config.py accept, written as the patterns they replace.
SPELLINGS = {
    "conn_id": r"[A-Za-z0-9_.-]{1,250}",
    "schema": r"[a-z_][a-z0-9_]{0,62}",
    "channel": r"[a-z][a-z0-9_-]{0,39}",
    "email": r"[^@\s,;]+@[^@\s,;]+",
}
CHECKS = {
    "conn_id": lambda v: OrgConfig(conn_id=v),
    "schema": lambda v: MonitorConfig(warehouse_schema=v),
    "channel": lambda v: ChannelConfig(name=v, type="slack", conn_id="x"),
    "email": lambda v: ChannelConfig(name="m", type="email", conn_id="x", to=(v,)),
}
ALPHABET = st.sampled_from("aZ09_.-@;, \t\u00a0\u00e9'\"")


@settings(max_examples=300, deadline=None)
@example(kind="email", value="a b@c")
@example(kind="email", value="a@b@c")
@example(kind="email", value="@b")
@example(kind="schema", value="0a")
@example(kind="schema", value="_a")
@example(kind="channel", value="_a")
@example(kind="conn_id", value="a;b")
@given(kind=st.sampled_from(sorted(SPELLINGS)), value=st.text(ALPHABET, max_size=8) | st.from_regex(r"\A[a-z]{1,3}\Z"))
def test_identifier_checks_accept_exactly_their_spelling(kind, value):
    expected = re.fullmatch(SPELLINGS[kind], value) is not None
    try:
        CHECKS[kind](value)
        accepted = True
    except ConfigError:
        accepted = False
    assert accepted == expected, (kind, value)


def test_identifier_length_limits():
    OrgConfig(conn_id="c" * 250, org="acme")
    MonitorConfig(warehouse_schema="s" * 63)
    ChannelConfig(name="n" * 40, type="slack", conn_id="x")
    for build in (
        lambda: OrgConfig(conn_id="c" * 251),
        lambda: MonitorConfig(warehouse_schema="s" * 64),
        lambda: ChannelConfig(name="n" * 41, type="slack", conn_id="x"),
    ):
        with pytest.raises(ConfigError):
            build()


def _error(tmp_path, text: str) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    return str(err.value).removeprefix(f"STORYBLOK_TRAFFIC_CONFIG file {path}: ")


IN_SB = " (in organisation 'sb')"
SB = "organisations:\n  - conn_id: sb\n    "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "organisations:\n  - conn_id: sb\n    refetch_days: 40",
            "refetch_days must be a whole number from 0 to 31, got 40" + IN_SB,
        ),
        (
            "organisations:\n  - conn_id: sb\n  - limit_meter: x",
            "limit_meter 'x' is not one of requests, bytes (in organisation 2)",
        ),
        (SB + "colour: 1", "organisation 'sb': unknown setting colour; known: "),
        ("organisations: 5", "organisations must be a list, got 5"),
        ("organisations:\n  - 5", "each organisation must be a mapping, got 5"),
        ("- a", "the configuration must be a mapping, got ['a']"),
        ("retries: 30", "retries must be a whole number from 0 to 20, got 30"),
        ("catchup: maybe", "catchup 'maybe' must be true or false"),
        ("schedule: 5", "schedule must be text, got 5"),
        ("channels:\n  - {name: m, type: email, conn_id: x, to: [5]}", "to must be text, got 5 (in channel 'm')"),
        (
            "organisations:\n  - conn_id: sb\n    yearly_thresholds: [a]",
            "yearly_thresholds holds 'a', which is not a number" + IN_SB,
        ),
    ],
)
def test_a_decoding_error_names_the_setting_and_where_it_is(tmp_path, text, expected):
    assert _error(tmp_path, text).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            SB + "monthly_treshold: [80]",
            "organisation 'sb': unknown setting monthly_treshold: did you mean monthly_thresholds?",
        ),
        ("retry: 3", "configuration: unknown setting retry: did you mean retries?"),
        (
            "channels:\n  - {name: s, type: slack, conn_idd: x}",
            "channel 's': unknown setting conn_idd: did you mean conn_id?",
        ),
        (SB + "metric: bytes", "organisation 'sb': unknown setting metric: it is called limit_meter now"),
        (
            SB + "plan_meters:\n      bytes: {blok_price: 1}",
            "organisation 'sb', plan_meters.bytes: unknown setting blok_price: did you mean block_price?",
        ),
    ],
)
def test_an_unknown_setting_offers_the_nearest_known_one_of_its_place(tmp_path, text, expected):
    """The nearest among the settings of the struct at that place: an organisation's, a channel's, a plan meter's."""
    assert _error(tmp_path, text) == expected


def test_an_unknown_setting_near_none_lists_the_known_ones(tmp_path):
    told = _error(tmp_path, SB + "colour: 1")
    assert "did you mean" not in told
    assert "monthly_thresholds" in told.split("; known: ")[1]


def _whole_number_settings() -> list[tuple[type, str, tuple[int | None, int | None]]]:
    found: list[tuple[type, str, tuple[int | None, int | None]]] = []
    for owner in (OrgConfig, MonitorConfig):
        info = msgspec.inspect.type_info(owner)
        assert isinstance(info, msgspec.inspect.StructType)
        found += [
            (owner, f.name, (f.type.ge, f.type.le)) for f in info.fields if isinstance(f.type, msgspec.inspect.IntType)
        ]
    return found


@pytest.mark.parametrize(("owner", "name", "bounds"), _whole_number_settings())
def test_every_whole_number_setting_names_the_bounds_it_is_checked_against(tmp_path, owner, name, bounds):
    low, high = bounds
    place = "organisations:\n  - conn_id: sb\n    " if owner is OrgConfig else ""
    for wrong in (low - 1, high + 1):
        told = _error(tmp_path, f"{place}{name}: {wrong}").removesuffix(IN_SB)
        assert told == f"{name} must be a whole number from {low} to {high}, got {wrong}"
    # the bounds themselves pass (with the one setting each is checked against made room)
    room = {"forecast_min_days": "forecast_window_days: 366", "forecast_window_days": "forecast_min_days: 7"}
    for right in (low, high):
        path = tmp_path / "ok.yaml"
        path.write_text(f"{place}{name}: {right}" + (f"\n    {room[name]}" if name in room else ""))
        load_config(path)


def test_a_dashboard_url_must_be_an_http_address(tmp_path):
    told = _error(tmp_path, "dashboard_url: airflow.example.com\n")
    assert told == (
        "dashboard_url 'airflow.example.com' must be the Airflow UI's http(s) address, such as "
        "https://airflow.example.com"
    )
    path = tmp_path / "ok.yaml"
    path.write_text("dashboard_url: https://airflow.example.com/\n")
    assert load_config(path).dashboard_url == "https://airflow.example.com/"


def test_a_channel_whose_provider_is_not_installed_is_refused_naming_the_extra(monkeypatch):
    """Issue 38: a pagerduty channel without apache-airflow-providers-pagerduty fails at import, not at
    its first notice."""
    import sys

    from storyblok_traffic.config import ChannelConfig, ConfigError, MonitorConfig

    assert ChannelConfig(name="pager", type="pagerduty", conn_id="pd").type == "pagerduty"  # installed here
    monkeypatch.setitem(sys.modules, "airflow.providers.pagerduty", None)  # as if it were not
    with pytest.raises(ConfigError) as err:
        MonitorConfig.from_dict({"channels": [{"name": "pager", "type": "pagerduty", "conn_id": "pd"}]})
    assert "channel 'pager': type pagerduty needs apache-airflow-providers-pagerduty, which is not installed" in str(
        err.value
    )
    assert "pip install 'storyblok-traffic-monitor[pagerduty]'" in str(err.value)


def _digest_config(digest: object) -> MonitorConfig:
    return MonitorConfig.from_dict(
        {
            "channels": [
                {"name": "slack", "type": "slack", "conn_id": "hook"},
                {"name": "mail", "type": "email", "conn_id": "smtp", "to": "a@example.com"},
                {"name": "pager", "type": "pagerduty", "conn_id": "pd"},
            ],
            "organisations": [{"conn_id": "acme", "digest": digest}],
        }
    )


def test_the_digest_goes_to_the_organisations_channels_but_the_incident_services_by_default():
    config = _digest_config({"weekday": "wednesday", "hour": 7})
    [org] = config.organisations
    assert [c.name for c in config.digest_channels_for(org)] == ["slack", "mail"]
    assert org.digest is not None
    assert org.digest.cron == "0 7 * * 3"
    assert config.digest_channels_for(_digest_config(None).organisations[0]) == ()


@pytest.mark.parametrize(
    ("digest", "said"),
    [
        (
            {"channels": ["pager"]},
            "organisation 'acme': digest: pager is an incident service (a digest is no incident); "
            "the channels that take it: slack, mail",
        ),
        ({"channels": ["chat"]}, "organisation 'acme': digest: unknown channel(s) chat; known: slack, mail, pager"),
        ({"channels": []}, "organisation 'acme': digest: channels is empty (digest: null turns the digest off)"),
        ({"weekday": "mon"}, "weekday"),
        ({"hour": 24}, "hour"),
    ],
)
def test_a_wrong_digest_setting_is_refused_naming_it(digest, said):
    with pytest.raises(ConfigError, match=re.escape(said)):
        _digest_config(digest)
