"""Property-based tests (hypothesis) against Postgres: the parser round-trips random valid payloads into
the tables, and sums over any split of a period equal the sum over the whole."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.reads import org_days
from storyblok_traffic.warehouse.tables import org_traffic_daily, space_traffic_daily
from storyblok_traffic.warehouse.writes import write_fetch
from storyblok_traffic.xcom import FetchedTraffic

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
        whole = sum(n for _, n, _ in org_days(conn, org, FIRST, last))
        starts = [0, *(b + 1 for b in bounds)]
        ends = [*bounds, len(amounts) - 1]
        parts = [
            sum(n for _, n, _ in org_days(conn, org, FIRST + timedelta(days=a), FIRST + timedelta(days=b)))
            for a, b in zip(starts, ends, strict=True)
        ]
    assert sum(parts) == whole == sum(amounts)
