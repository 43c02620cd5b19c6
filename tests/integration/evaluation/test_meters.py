"""Both meters over the billing period, from the stored days: bytes counted once reported, and the month
billed on every plan with the organisation's own row at its contract's figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from storyblok_traffic.config import MonitorConfig
from storyblok_traffic.evaluation.meters import bill_figures
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.stored_days import StoredDays


def org(**settings: object):
    return MonitorConfig.from_dict({"organisations": [settings]}).organisations[0]


def test_the_own_row_of_the_month_on_each_plan_is_at_the_contract_s_prices(history, engine, schema):
    history.limit("storyblok_default", date(2026, 6, 1), 1_000_000)
    history.days("storyblok_default", {date(2026, 6, 1): 1_500_000})  # 500,000 over: one block
    with begin(engine, schema) as conn:
        found = bill_figures(StoredDays(conn, "storyblok_default"), org(plan="growth", base_price=80), date(2026, 6, 1))
    assert [(b.plan, b.total) for b in found.what_if] == [
        ("starter", Decimal(20)),  # 1,400,000 over Starter's 100,000: two blocks
        ("growth", Decimal(90)),  # the contract's base price (80), not the table's 99, and one block
        ("growth_plus", Decimal(349)),
    ]


def test_bytes_not_reported_yet_are_missing_days_never_zeros(history, engine, schema):
    history.limit("storyblok_default", date(2026, 6, 1), 1_000_000)
    history.days("storyblok_default", {date(2026, 6, d): 1_000 for d in (1, 2, 3)})  # 10,000 bytes each
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE \"{schema}\".org_traffic_daily SET total_bytes = NULL WHERE day = '2026-06-03'")
    with begin(engine, schema) as conn:
        found = bill_figures(StoredDays(conn, "storyblok_default"), org(plan="growth"), date(2026, 6, 3))
    requests, size = found.meters
    assert (requests.used, requests.days_missing) == (3_000, 0)
    assert (size.used, size.days_missing) == (20_000, 1)
