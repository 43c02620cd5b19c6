"""The upsert: idempotent, bulk, null-aware, one transaction."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storyblok_traffic.config import MonitorConfig
from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.jobs.daily import upsert_traffic
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.tables import metadata, org_traffic_daily, space_traffic_daily
from storyblok_traffic.warehouse.writes import write_fetch
from storyblok_traffic.xcom import FetchedTraffic

EXAMPLE = json.loads((Path(__file__).parents[2] / "data" / "all_traffic_example.json").read_text())
FIRST, LAST = date(2026, 3, 7), date(2026, 3, 8)
T0 = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)


def fetched(payload=None, at: datetime = T0) -> FetchedTraffic:
    return FetchedTraffic("acme", FIRST, LAST, "day", at, copy.deepcopy(payload or EXAMPLE))


def write(engine, schema, f: FetchedTraffic):
    with begin(engine, schema) as conn:
        return write_fetch(conn, f, f.daily())


def dump(engine, schema) -> dict[str, list]:
    with begin(engine, schema) as conn:
        return {
            name: sorted(tuple(row) for row in conn.execute(select(table))) for name, table in metadata.tables.items()
        }


@pytest.fixture
def migrated(engine, schema):
    migrate(engine, schema)
    return schema


def test_first_write_lands_every_table(engine, migrated):
    counts = write(engine, migrated, fetched())
    assert counts.as_dict() == {"org_days": 2, "space_days": 4, "snapshots": 1, "raw_responses": 1}
    tables = dump(engine, migrated)
    assert tables["org_traffic_daily"][0][:4] == ("acme", FIRST, 31_210, 935_120_000)
    assert tables["usage_snapshots"][0][:6] == ("acme", T0.date(), 1_000_000, 12_000_000, 5_123_456, 210_345)
    assert tables["raw_responses"][0][5] == EXAMPLE


def test_running_a_day_again_changes_nothing(engine, migrated):
    write(engine, migrated, fetched())
    before = dump(engine, migrated)
    counts = write(engine, migrated, fetched(at=T0 + timedelta(hours=5)))
    assert counts.as_dict() == {"org_days": 0, "space_days": 0, "snapshots": 0, "raw_responses": 0}
    assert dump(engine, migrated) == before  # fetched_at included


def test_only_changed_rows_move(engine, migrated):
    write(engine, migrated, fetched())
    later = T0 + timedelta(days=1)
    payload = copy.deepcopy(EXAMPLE)
    payload["traffic"][0]["api_requests"] = 20_001
    write(engine, migrated, fetched(payload, at=later))
    with begin(engine, migrated) as conn:
        rows = conn.execute(
            select(space_traffic_daily.c.space_id, space_traffic_daily.c.day, space_traffic_daily.c.fetched_at)
        ).all()
    moved = {(s, d) for s, d, at in rows if at == later}
    assert moved == {("287301", FIRST)}


def test_late_bytes_replace_null_and_null_never_overwrites(engine, migrated):
    write(engine, migrated, fetched())
    filled = copy.deepcopy(EXAMPLE)
    filled["cumulated_traffic"]["traffic"][1]["total_bytes"] = 918_000_000
    filled["cumulated_traffic"]["traffic"][0]["total_bytes"] = None  # a known value must survive this
    write(engine, migrated, fetched(filled, at=T0 + timedelta(days=1)))
    with begin(engine, migrated) as conn:
        stored = dict(conn.execute(select(org_traffic_daily.c.day, org_traffic_daily.c.total_bytes)).all())
    assert stored == {FIRST: 935_120_000, LAST: 918_000_000}


def test_large_batches_are_chunked(engine, migrated):
    days = [FIRST - timedelta(days=i) for i in range(40)]
    payload = copy.deepcopy(EXAMPLE)
    payload["cumulated_traffic"]["traffic"] = [{"date": str(d), "api_requests": 1, "total_bytes": 2} for d in days]
    payload["traffic"] = [
        {"date": str(d), "api_requests": 1, "total_bytes": 2, "space_id": s} for d in days for s in range(200)
    ]
    f = FetchedTraffic("acme", days[-1], FIRST, "day", T0, payload)
    assert write(engine, migrated, f).space_days == 8_000


def test_invalid_payload_writes_nothing(engine, schema, warehouse_conn):
    config = MonitorConfig(warehouse_schema=schema)
    upsert_traffic(fetched().to_xcom(), config)
    before = dump(engine, schema)
    broken = copy.deepcopy(EXAMPLE)
    broken["traffic"][3]["api_requests"] = "n/a"  # the last row: everything before it would be valid
    with pytest.raises(StoryblokPayloadError, match=r"traffic\.3\.api_requests"):
        upsert_traffic(fetched(broken, at=T0 + timedelta(days=1)).to_xcom(), config)
    assert dump(engine, schema) == before


def test_a_failing_statement_rolls_back_the_whole_write(engine, migrated):
    """One transaction per run: an error half-way leaves the earlier tables untouched."""
    write(engine, migrated, fetched())
    before = dump(engine, migrated)
    changed = copy.deepcopy(EXAMPLE)
    changed["cumulated_traffic"]["traffic"][0]["api_requests"] = 99
    # The snapshot's insert, after the day rows, fails in the database (a count past 64 bits, which
    # did this before, is now refused by the parser): a constraint the new figure breaks.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f'ALTER TABLE "{migrated}".usage_snapshots ADD CONSTRAINT small CHECK (traffic_used_this_year < 10^9)'
        )
    changed["traffic_used_this_year"] = 2 * 10**9
    with pytest.raises(Exception, match="violates check constraint"):
        write(engine, migrated, fetched(changed, at=T0 + timedelta(days=1)))
    assert dump(engine, migrated) == before


def _history(days: int, spaces: int, bump: int = 0, null_from: int | None = None) -> FetchedTraffic:
    """``days`` x ``spaces`` rows; ``bump`` adds 1 request to every 10th row; bytes null from day ``null_from``."""
    dates = [FIRST - timedelta(days=i) for i in range(days)]
    payload = copy.deepcopy(EXAMPLE)
    payload["cumulated_traffic"]["traffic"] = [{"date": str(d), "api_requests": 1, "total_bytes": 2} for d in dates]
    payload["traffic"] = [
        {
            "date": str(d),
            "space_id": s,
            "api_requests": 10 + (bump if (i * spaces + s) % 10 == 0 else 0),
            "total_bytes": None if null_from is not None and i >= null_from else 100 + s,
        }
        for i, d in enumerate(dates)
        for s in range(spaces)
    ]
    return FetchedTraffic("acme", dates[-1], FIRST, "day", T0 + timedelta(hours=bump), payload)


@pytest.mark.parametrize("copy_from_rows", [1, 10**9], ids=["staged-copy", "multi-row-insert"])
def test_both_write_paths_keep_the_same_rules(engine, migrated, monkeypatch, copy_from_rows):
    monkeypatch.setattr("storyblok_traffic.warehouse.writes.COPY_FROM_ROWS", copy_from_rows)
    assert write(engine, migrated, _history(30, 100)).space_days == 3_000
    before = dump(engine, migrated)
    assert write(engine, migrated, _history(30, 100)).space_days == 0  # again: nothing moves
    assert dump(engine, migrated) == before
    # 10 % of the counts change; the oldest 10 days lose their bytes, which must survive.
    assert write(engine, migrated, _history(30, 100, bump=1, null_from=20)).space_days == 300
    with begin(engine, migrated) as conn:
        t = space_traffic_daily.c
        nulls = conn.scalar(select(func.count()).where(t.total_bytes.is_(None)))
        bumped = conn.scalar(select(func.count()).where(t.api_requests == 11))
    assert (nulls, bumped) == (0, 300)


def test_staged_copy_twice_in_one_transaction(engine, migrated, monkeypatch):
    monkeypatch.setattr("storyblok_traffic.warehouse.writes.COPY_FROM_ROWS", 1)
    with begin(engine, migrated) as conn:
        first = _history(3, 10)
        write_fetch(conn, first, first.daily())
        second = _history(3, 10, bump=5)
        assert write_fetch(conn, second, second.daily()).space_days == 3


def test_new_days_go_straight_in_and_a_concurrent_writer_turns_it_into_the_merge(engine, migrated, monkeypatch):
    """New days are copied straight into the table; when another writer stored some of them between the
    look and the copy, the copy's unique violation is caught and the same rows are merged instead."""
    monkeypatch.setattr("storyblok_traffic.warehouse.writes.COPY_FROM_ROWS", 1)
    one_day = _history(1, 100)  # the newest day of the month, as a daily run would have stored it
    write(engine, migrated, one_day)
    before = dump(engine, migrated)["space_traffic_daily"]
    monkeypatch.setattr("storyblok_traffic.warehouse.writes._any_stored", lambda *_: False)  # the look missed it
    assert write(engine, migrated, _history(30, 100)).space_days == 29 * 100  # the stored day is unchanged
    after = dump(engine, migrated)["space_traffic_daily"]
    assert len(after) == 30 * 100
    assert set(before) <= set(after)  # the day stored first kept its row, fetched_at included
