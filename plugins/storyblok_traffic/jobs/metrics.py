"""A check's gauges through Airflow's own metrics interface: they go wherever the Airflow's metrics go
(StatsD, Datadog, OpenTelemetry, as its ``[metrics]`` section says), nowhere when it sends none."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from storyblok_traffic.rules.metrics import Gauge

log = logging.getLogger(__name__)


def metrics_on() -> bool:
    """Whether this Airflow sends metrics anywhere (``[metrics]``): without, a check computes no gauge."""
    from airflow.sdk.configuration import conf

    return any(
        conf.getboolean("metrics", key, fallback=False) for key in ("statsd_on", "statsd_datadog_enabled", "otel_on")
    )


def emit(gauges: Sequence[Gauge]) -> None:
    """Each gauge with its tags, where the backend keeps tags (OpenTelemetry, Datadog, StatsD with
    ``statsd_influxdb_enabled``); under its legacy name, the tags' values in it, with ``[metrics]
    legacy_names_on`` (Airflow's default) or on plain StatsD, which drops tags (every organisation's
    figure would land on one name). A metrics backend that fails never fails the check: the figures are
    in the warehouse either way."""
    if not gauges:  # Airflow sends no metrics: nothing was computed, nothing to send
        return
    from airflow.sdk.configuration import conf
    from airflow.sdk.observability.stats import Stats

    plain = (
        conf.getboolean("metrics", "statsd_on", fallback=False)
        and not conf.getboolean("metrics", "statsd_influxdb_enabled", fallback=False)
        and not conf.getboolean("metrics", "statsd_datadog_enabled", fallback=False)
    )
    legacy = plain or conf.getboolean("metrics", "legacy_names_on", fallback=True)
    try:
        for gauge in gauges:
            if not plain:
                Stats.gauge(gauge.name, gauge.value, tags=dict(gauge.tags))
            if legacy:
                Stats.gauge(gauge.legacy_name, gauge.value)
    except Exception as err:  # the backend's own errors: a socket, a misconfigured client
        log.warning("Could not emit the usage metrics (%d gauges): %s", len(gauges), err)
