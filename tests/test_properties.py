"""Property-based tests (hypothesis): the parser round-trips random valid payloads into the tables, and
sums over any split of a period equal the sum over the whole."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storyblok_traffic.history import Range, month_chunks
from storyblok_traffic.model import FetchedTraffic
from storyblok_traffic.rules import usage
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.reads import daily_usage
from storyblok_traffic.warehouse.tables import org_traffic_daily, space_traffic_daily
from storyblok_traffic.warehouse.writes import write_fetch

FIRST = date(2026, 1, 1)
counts = st.integers(min_value=0, max_value=10**12)
maybe_bytes = st.none() | st.integers(min_value=0, max_value=10**15)


@st.composite
def payloads(draw: st.DrawFn) -> tuple[date, date, dict]:
    days = draw(st.integers(min_value=1, max_value=40))
    last = FIRST + timedelta(days=days - 1)
    spaces = draw(st.lists(st.integers(min_value=1, max_value=10**9), min_size=0, max_size=6, unique=True))
    present = draw(st.lists(st.booleans(), min_size=days, max_size=days))  # a day may be missing
    org_rows, space_rows = [], []
    for i in range(days):
        if not present[i]:
            continue
        day = str(FIRST + timedelta(days=i))
        org_rows.append({"date": day, "api_requests": draw(counts), "total_bytes": draw(maybe_bytes)})
        for space in spaces:
            space_id = draw(st.sampled_from([space, str(space)]))  # Storyblok sends both
            space_rows.append(
                {"date": day, "space_id": space_id, "api_requests": draw(counts), "total_bytes": draw(maybe_bytes)}
            )
    limit = draw(st.integers(min_value=0, max_value=10**12))
    payload = {
        "montly_traffic_limit": limit,
        "yearly_traffic_limit": limit * 12,
        "traffic_used_this_year": draw(counts),
        "cumulated_traffic": {"requests_used_last_days": draw(counts), "traffic": org_rows},
        "traffic_top_spaces": {},
        "traffic": space_rows,
    }
    return FIRST, last, payload


@pytest.fixture(scope="module")
def store(engine):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    migrate(engine, schema)
    yield engine, schema
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=payloads())
def test_random_valid_payloads_round_trip_into_the_tables(store, case):
    engine, schema = store
    first, last, payload = case
    org = uuid.uuid4().hex  # each example writes its own organisation
    fetched = FetchedTraffic(org, first, last, "day", datetime(2026, 3, 1, tzinfo=UTC), payload)
    with begin(engine, schema) as conn:
        write_fetch(conn, fetched, fetched.daily())
        o, s = org_traffic_daily.c, space_traffic_daily.c
        org_rows = conn.execute(select(o.day, o.api_requests, o.total_bytes).where(o.org == org)).all()
        space_rows = conn.execute(select(s.space_id, s.day, s.api_requests, s.total_bytes).where(s.org == org)).all()
    expected_org = {
        (date.fromisoformat(r["date"]), r["api_requests"], r["total_bytes"])
        for r in payload["cumulated_traffic"]["traffic"]
    }
    expected_spaces = {
        (str(r["space_id"]), date.fromisoformat(r["date"]), r["api_requests"], r["total_bytes"])
        for r in payload["traffic"]
    }
    assert set(org_rows) == expected_org
    assert set(space_rows) == expected_spaces


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=120),
    cuts=st.lists(st.integers(min_value=0, max_value=119), max_size=6),
)
def test_sums_over_any_split_equal_the_sum_over_the_whole(store, amounts, cuts):
    engine, schema = store
    org = uuid.uuid4().hex
    last = FIRST + timedelta(days=len(amounts) - 1)
    rows = [
        {
            "org": org,
            "day": FIRST + timedelta(days=i),
            "api_requests": n,
            "total_bytes": n,
            "fetched_at": datetime.now(UTC),
        }
        for i, n in enumerate(amounts)
    ]
    bounds = sorted({c for c in cuts if c < len(amounts) - 1})
    with begin(engine, schema) as conn:
        conn.execute(org_traffic_daily.insert(), rows)
        whole = sum(n for _, n in daily_usage(conn, org, FIRST, last, "requests"))
        starts = [0, *(b + 1 for b in bounds)]
        ends = [*bounds, len(amounts) - 1]
        parts = [
            sum(n for _, n in daily_usage(conn, org, FIRST + timedelta(days=a), FIRST + timedelta(days=b), "requests"))
            for a, b in zip(starts, ends, strict=True)
        ]
    assert sum(parts) == whole == sum(amounts)


@given(
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    span=st.integers(min_value=0, max_value=800),
)
def test_month_chunks_cover_any_range_once_and_never_cross_a_month(first, span):
    days = Range(first, first + timedelta(days=span))
    chunks = month_chunks(days)
    assert chunks[0].first == days.first
    assert chunks[-1].last == days.last
    for a, b in pairwise(chunks):
        assert b.first == a.last + timedelta(days=1)
    assert all((c.first.year, c.first.month) == (c.last.year, c.last.month) for c in chunks)


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60),
    limit=st.integers(min_value=1, max_value=10**7),
    thresholds=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=4, unique=True),
)
def test_alarms_start_where_the_running_sum_first_reaches_the_threshold(amounts, limit, thresholds):
    days = [FIRST + timedelta(days=i) for i in range(len(amounts))]
    found = {
        c.threshold_pct: c.crossed_on
        for c in usage.alarms(list(zip(days, amounts, strict=True)), lambda _: limit, thresholds, days[0], days[-1])
    }
    running = list(accumulate(amounts))
    for t in thresholds:
        first_day = next((d for d, total in zip(days, running, strict=True) if total * 100 >= limit * t), None)
        assert found.get(t) == first_day
