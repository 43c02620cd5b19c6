"""The gauges of a check (issue 40): named as Airflow names its own metrics."""

from __future__ import annotations

from decimal import Decimal

from storyblok_traffic.rules.metrics import PeriodFigures, usage_gauges


def test_a_figure_not_made_is_no_gauge_and_every_severity_is_counted():
    gauges = usage_gauges(
        "acme",
        [PeriodFigures("requests", "month", 42.5, None), PeriodFigures("bytes", "month", None, None)],
        None,
        None,
        {"critical": 0, "warning": 1, "info": 0},
    )
    assert [(g.name, g.value, dict(g.tags)) for g in gauges] == [
        ("storyblok_traffic.usage_pct", 42.5, {"org": "acme", "meter": "requests", "period": "month"}),
        ("storyblok_traffic.open_notices", 0, {"org": "acme", "severity": "critical"}),
        ("storyblok_traffic.open_notices", 1, {"org": "acme", "severity": "warning"}),
        ("storyblok_traffic.open_notices", 0, {"org": "acme", "severity": "info"}),
    ]


def test_a_legacy_name_keeps_its_levels_whatever_the_organisation_is_called():
    [bill] = usage_gauges("acme.eu prod", [], (Decimal("259.00"), "EUR"), None, {})
    assert bill.legacy_name == "storyblok_traffic.projected_bill.acme_eu_prod.EUR"
    assert bill.value == 259.0
