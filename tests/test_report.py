from __future__ import annotations

from datetime import date

from storyblok_traffic.report import usage_report
from storyblok_traffic.tasks import check_usage
from storyblok_traffic.warehouse.engine import begin
from tests.test_notify import ORG
from tests.test_usage import _seed


def test_report_per_month_with_percent_and_alerts(engine, schema, warehouse_conn):
    from storyblok_traffic.config import MonitorConfig

    _seed(engine, schema, "acme", {date(2026, 5, 31): 300, date(2026, 6, 1): 400}, 100, date(2026, 6, 1))
    check_usage(date(2026, 6, 1), ORG, MonitorConfig(warehouse_schema=schema))
    with begin(engine, schema) as conn:
        text = usage_report(conn, "acme", date(2026, 6, 1))
    lines = text.splitlines()
    assert lines[0] == "Storyblok traffic for acme (yearly limit: 1,200 requests)"
    assert any(line.startswith("2026-05") and "300" in line and "25.0%" in line for line in lines)
    assert any(line.startswith("2026-06") and "400" in line and "33.3%" in line for line in lines)
    assert "2026 to 2026-06-01: 700 requests stored, 58.33% of the limit" in text
    assert "  year 50% crossed on 2026-06-01 (pending)" in lines
