"""Usage arithmetic (pure) and the year-to-date check against the warehouse, at a year boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from storyblok_traffic import usage
from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.tasks import branch_for, check_usage
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.tables import org_traffic_daily, usage_snapshots
from storyblok_traffic.warehouse.writes import upsert


def test_percent_and_reached_are_exact():
    assert usage.percent_of(75, 100) == 75.0
    assert usage.percent_of(1, 0) is None
    assert usage.reached(75, 100, 75)  # exactly at the threshold counts
    assert not usage.reached(74, 100, 75)
    assert usage.reached(1_000_001, 2_000_000, 50.00005)  # exactly, where floats would wobble
    assert not usage.reached(1_000_000, 2_000_000, 50.00005)
    assert usage.reached(1, 0, 50) is False


def test_crossings_find_the_first_day():
    d = date(2026, 1, 1)
    daily = [(d + timedelta(days=i), 10) for i in range(10)]
    found = usage.crossings(daily, 100, [50, 75, 100, 200])
    assert [(c.threshold_pct, c.crossed_on, c.usage) for c in found] == [
        (50, date(2026, 1, 5), 50),
        (75, date(2026, 1, 8), 80),
        (100, date(2026, 1, 10), 100),
    ]


def test_two_thresholds_on_one_day():
    found = usage.crossings([(date(2026, 5, 1), 80)], 100, [50, 75, 90])
    assert [(c.threshold_pct, c.crossed_on) for c in found] == [
        (50, date(2026, 5, 1)),
        (75, date(2026, 5, 1)),
    ]


def test_year_start():
    assert usage.year_start(date(2026, 12, 31)) == date(2026, 1, 1)
    assert usage.year_start(date(2027, 1, 1)) == date(2027, 1, 1)


def _seed(engine, schema, org: str, days: dict[date, int], limit_monthly: int, as_of: date) -> None:
    migrate(engine, schema)
    at = datetime(2027, 1, 3, tzinfo=UTC)
    with begin(engine, schema) as conn:
        upsert(
            conn,
            org_traffic_daily,
            [
                {"org": org, "day": d, "api_requests": n, "total_bytes": n * 10, "fetched_at": at}
                for d, n in days.items()
            ],
        )
        upsert(
            conn,
            usage_snapshots,
            [
                {
                    "org": org,
                    "as_of": as_of,
                    "monthly_traffic_limit": limit_monthly,
                    "yearly_traffic_limit": limit_monthly * 12,
                    "traffic_used_this_year": 0,
                    "requests_used_last_7_days": None,
                    "fetched_at": at,
                }
            ],
        )


@pytest.fixture
def year_end(engine, schema, warehouse_conn):
    # 600 in the last days of 2026, then 100 on each of the first two days of 2027; yearly limit 1,200.
    days = {date(2026, 12, 29): 200, date(2026, 12, 30): 200, date(2026, 12, 31): 200}
    days |= {date(2027, 1, 1): 100, date(2027, 1, 2): 100}
    _seed(engine, schema, "acme", days, limit_monthly=100, as_of=date(2027, 1, 3))
    return MonitorConfig(warehouse_schema=schema), OrgConfig(conn_id="sb", org="acme")


def test_usage_as_of_a_day_counts_only_that_year(year_end):
    config, org = year_end
    dec = check_usage(date(2026, 12, 31), org, config)
    assert (dec.usage, dec.limit, dec.percent, dec.period_start) == (600, 1200, 50.0, date(2026, 1, 1))
    assert dec.crossed == (50.0,)
    assert dec.to_notify == (50.0,)
    assert branch_for(dec) == "notify_threshold_crossed"
    jan = check_usage(date(2027, 1, 2), org, config)
    assert (jan.usage, jan.period_start, jan.crossed, jan.to_notify) == (200, date(2027, 1, 1), (), ())
    assert branch_for(jan) == "usage_within_limits"
    assert jan.days_with_data == jan.days_in_period == 2
    assert jan.notes == ()


def test_usage_as_of_mid_range_ignores_later_days(year_end):
    config, org = year_end
    summary = check_usage(date(2026, 12, 30), org, config)
    assert summary.usage == 400
    assert summary.crossed == ()
    assert "only 2 of 364 days" in summary.notes[0]


def test_bytes_metric(year_end):
    config, _ = year_end
    summary = check_usage(date(2027, 1, 2), OrgConfig(conn_id="sb", org="acme", metric="bytes"), config)
    assert summary.usage == 2_000


def test_no_limit_known(engine, schema, warehouse_conn):
    migrate(engine, schema)
    summary = check_usage(date(2026, 5, 1), OrgConfig(), MonitorConfig(warehouse_schema=schema))
    assert (summary.limit, summary.percent, summary.to_notify) == (0, None, ())
    assert any("no traffic limit is known" in n for n in summary.notes)
