from __future__ import annotations

from datetime import date

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.jobs.daily import check_usage
from storyblok_traffic.jobs.report import usage_report
from storyblok_traffic.warehouse.engine import begin


def test_report_per_month_with_percent_and_alerts(history, engine, schema):
    history.limit("acme", date(2026, 6, 1), 100)
    history.days("acme", {date(2026, 5, 31): 300, date(2026, 6, 1): 400})
    org = OrgConfig(conn_id="sb", org="acme", monthly_thresholds=())
    check_usage(date(2026, 6, 1), org, MonitorConfig(warehouse_schema=schema), today=date(2026, 6, 1))
    with begin(engine, schema) as conn:
        text = usage_report(conn, "acme", date(2026, 6, 1))
    lines = text.splitlines()
    assert lines[0] == "Storyblok traffic for acme (yearly limit: 1,200 requests)"
    assert any(line.startswith("2026-05") and "300" in line and "25.0%" in line for line in lines)
    assert any(line.startswith("2026-06") and "400" in line and "33.3%" in line for line in lines)
    assert "2026 to 2026-06-01: 700 requests stored, 58.33% of the limit" in text
    assert "  year from 2026-01-01: 50% crossed on 2026-06-01 (pending)" in lines
    assert "  no data after 2026-06-01" not in text
