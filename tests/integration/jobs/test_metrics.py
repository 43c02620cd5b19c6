"""Usage as Airflow metrics (issue 40): a check's gauges go through Airflow's own metrics interface,
initialised as a task's runner does it from ``[metrics]``, to a StatsD listener in the test (a UDP
socket): each name, tag and value as the check found them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date

import pytest

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.jobs.daily import check_usage

DAY = date(2026, 6, 2)


class Listener:
    """A StatsD server's socket: the datagrams it received, ``name`` -> value."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]

    def received(self) -> dict[str, float]:
        found: dict[str, float] = {}
        while True:
            try:
                data = self.sock.recv(65536).decode()
            except TimeoutError:
                return found
            for line in data.splitlines():  # name:value|g
                name, _, rest = line.partition(":")
                found[name] = float(rest.split("|")[0])


@pytest.fixture
def statsd(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Listener, pytest.MonkeyPatch]]:
    from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
    from airflow.sdk.observability.stats import Stats

    listener = Listener()
    for key, value in {"STATSD_ON": "True", "STATSD_HOST": "127.0.0.1", "STATSD_PORT": str(listener.port)}.items():
        monkeypatch.setenv(f"AIRFLOW__METRICS__{key}", value)
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PREFIX", "airflow")
    yield listener, monkeypatch
    Stats.initialize(factory=NoStatsLogger, export_legacy_names=True)
    listener.sock.close()


def _start_metrics() -> None:
    """What the task runner does when a task starts: the metrics backend from ``[metrics]``."""
    from airflow.sdk.configuration import conf
    from airflow.sdk.observability.metrics import stats_utils
    from airflow.sdk.observability.stats import Stats

    Stats.initialize(
        factory=stats_utils.get_stats_factory(), export_legacy_names=conf.getboolean("metrics", "legacy_names_on")
    )


def _check(history, schema):
    history.limit("acme", date(2026, 1, 1), 100)  # 1,200 a year, 100 a month
    history.days("acme", {date(2026, 5, 31): 300, date(2026, 6, 1): 400, DAY: 20})
    org = OrgConfig(conn_id="sb", org="acme")
    return check_usage(DAY, org, MonitorConfig(warehouse_schema=schema), today=date(2026, 6, 3))


def test_plain_statsd_gets_each_gauge_under_its_name_with_the_organisation_meter_and_period_in_it(
    statsd, history, schema, warehouse_conn
):
    listener, _ = statsd
    _start_metrics()
    evaluation = _check(history, schema)
    got = listener.received()
    month = next(p for p in evaluation.periods if p.period == "month" and p.meter == "requests")
    year = next(p for p in evaluation.periods if p.period == "year" and p.meter == "requests")
    assert got["airflow.storyblok_traffic.usage_pct.acme.requests.month"] == pytest.approx(month.percent, abs=1e-3)
    assert got["airflow.storyblok_traffic.usage_pct.acme.requests.year"] == pytest.approx(year.percent, abs=1e-3)
    assert year.percent == pytest.approx(60.0)  # 720 of 1,200
    assert got["airflow.storyblok_traffic.days_behind.acme"] == 0  # yesterday is stored
    # the year's 50% crossing (warning) and the month's 80% and 100% (420 of 100: critical) are open
    # open: the month's 100% (critical); its 80% and the year's 50% (warnings); no forecast, no spike
    assert got["airflow.storyblok_traffic.open_notices.acme.critical"] == 1
    assert got["airflow.storyblok_traffic.open_notices.acme.warning"] == 2
    assert got["airflow.storyblok_traffic.open_notices.acme.info"] == 0
    assert not [name for name in got if name.count(".") == 2]  # no tagless name every organisation would share


def test_a_backend_with_tags_gets_them_and_the_legacy_names_beside(statsd, history, schema, warehouse_conn):
    listener, monkeypatch = statsd
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED", "True")
    _start_metrics()
    evaluation = _check(history, schema)
    got = listener.received()
    month = next(p for p in evaluation.periods if p.period == "month" and p.meter == "requests")
    tagged = "airflow.storyblok_traffic.usage_pct,org=acme,meter=requests,period=month"
    assert got[tagged] == pytest.approx(month.percent, abs=1e-3)
    assert got["airflow.storyblok_traffic.usage_pct.acme.requests.month"] == got[tagged]  # legacy_names_on
    assert "airflow.storyblok_traffic.days_behind,org=acme" in got


def test_without_metrics_configured_a_check_sends_nothing_and_succeeds(history, schema, warehouse_conn):
    listener = Listener()
    _start_metrics()  # [metrics] statsd_on is off: Airflow's no-op backend
    _check(history, schema)
    assert listener.received() == {}


def test_the_projection_and_the_projected_bill_are_the_checks_own(statsd, history, schema, warehouse_conn):
    from datetime import timedelta

    listener, _ = statsd
    _start_metrics()
    history.limit("acme", date(2026, 1, 1), 1_000_000)  # Growth's: its bill in USD
    days = [date(2026, 5, 1) + timedelta(days=i) for i in range(32)]
    history.meters("acme", {day: (40_000, 20 * 10**9) for day in days})  # to 2026-06-01
    org = OrgConfig(conn_id="sb", org="acme")
    evaluation = check_usage(days[-1], org, MonitorConfig(warehouse_schema=schema), today=date(2026, 6, 2))
    got = listener.received()
    bytes_month = next(p for p in evaluation.periods if p.period == "month" and p.meter == "bytes")
    assert bytes_month.forecast is not None
    assert got["airflow.storyblok_traffic.projected_pct.acme.bytes.month"] == pytest.approx(
        bytes_month.forecast.projected_percent, abs=1e-3
    )
    assert evaluation.bill is not None
    assert evaluation.bill.projected is not None
    assert got["airflow.storyblok_traffic.projected_bill.acme.USD"] == float(evaluation.bill.projected)
