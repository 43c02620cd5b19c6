"""The dashboard's figures beside the periods: the month just closed, and like-for-like space changes."""

from __future__ import annotations

from datetime import date, timedelta

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.figures import previous_periods, top_spaces
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.stored_days import StoredDays

ORG = OrgConfig(conn_id="sb", org="acme", max_gap_days=366)


def each_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_the_month_just_closed_shows_its_overage_and_the_day_it_crossed(history, engine, schema):
    history.limit("acme", date(2026, 1, 1), 800)
    history.days("acme", {d: 30 for d in each_day(date(2026, 11, 1), date(2026, 12, 2))})  # 900 in November
    with begin(engine, schema) as conn:
        [november] = previous_periods(conn, ORG, date(2026, 12, 2), date(2026, 12, 3), StoredDays(conn, ORG.org))
    assert (november.period, november.start, november.end) == ("month", "2026-11-01", "2026-11-30")
    assert (november.usage, november.limit, november.overage, november.percent) == (900, 800, 100, 112.5)
    assert november.limit_crossed_on == "2026-11-27"  # 27 x 30 = 810, the first day at or over 800
    assert november.days_stored == 30
    with begin(engine, schema) as conn:  # early in a contract year, the year just closed too
        closed = previous_periods(conn, ORG, date(2027, 1, 2), date(2027, 1, 3), StoredDays(conn, ORG.org))
    assert [(p.period, p.start, p.usage, p.limit, p.overage) for p in closed] == [
        ("month", "2026-12-01", 60, 800, 0),
        ("year", "2026-01-01", 960, 9_600, 0),
    ]


def test_a_space_change_compares_the_same_days_and_waits_for_a_week(history, engine, schema):
    history.limit("acme", date(2026, 1, 1), 100_000)
    october, november = each_day(date(2026, 10, 1), date(2026, 10, 31)), each_day(date(2026, 11, 1), date(2026, 11, 30))
    # Space a: 100 a day in October's first ten days, then 1,000 a day; 150 a day in November.
    amounts = {("a", d): (100 if d.day <= 10 else 1_000) for d in october} | {("a", d): 150 for d in november}
    history.spaces("acme", amounts)
    history.days("acme", {d: 100 if d.day <= 10 else 1_000 for d in october} | {d: 150 for d in november})
    with begin(engine, schema) as conn:
        early, early_change = top_spaces(conn, ORG, StoredDays(conn, ORG.org), date(2026, 11, 1), date(2026, 11, 2))
        ten, change = top_spaces(conn, ORG, StoredDays(conn, ORG.org), date(2026, 11, 1), date(2026, 11, 10))
    assert early_change is None  # two days compare two different weekdays: not shown
    assert [s.change_pct for s in early] == [None]
    assert change is not None
    assert (change.days, change.text) == (10, "first 10 days vs the same 10 days of October")
    assert [(s.space_id, s.usage, s.change_pct) for s in ten] == [("a", 1_500, 50.0)]  # 1,500 against 1,000
