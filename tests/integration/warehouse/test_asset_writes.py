"""A day of assets_traffic written in a real Postgres: only changes written, a month kept equal to its
days, the newest description standing, a day past 65,535 parameters, and replay from the kept answers
equal by checksum."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from msgspec.structs import replace
from sqlalchemy import Engine, delete, func, select

from storyblok_traffic.assets import AssetBytes, AssetDay
from storyblok_traffic.hooks.client import StoryblokClient
from storyblok_traffic.hooks.connection import StoryblokConnectionSettings
from storyblok_traffic.jobs.asset_days import load_days
from storyblok_traffic.jobs.replay import replay
from storyblok_traffic.warehouse.asset_writes import write_asset_day
from storyblok_traffic.warehouse.checksum import table_checksums
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.reads import top_assets
from storyblok_traffic.warehouse.tables import asset_traffic_daily, asset_traffic_monthly, assets

ORG = "acme"
ASSET_TABLES = ("assets", "asset_traffic_daily", "asset_traffic_monthly")
MARCH = date(2026, 3, 1)


def file(asset_id: int, size: int, **changes: Any) -> AssetBytes:
    described = {"filename": f"https://a.storyblok.com/f/7/hero-{asset_id}.png", "space_id": "7"}
    return AssetBytes(
        id=asset_id, total_bytes=size, content_type="image/png", content_length=1_000, **described | changes
    )


def served(day: date, *files: AssetBytes) -> AssetDay:
    return AssetDay(day=day, assets={f.id: f for f in files})


def write(engine: Engine, schema: str, answer: AssetDay):
    with begin(engine, schema) as conn:
        return write_asset_day(conn, ORG, answer)


def months_equal_their_days(engine: Engine, schema: str) -> None:
    d, m = asset_traffic_daily.c, asset_traffic_monthly.c
    month = func.date_trunc("month", d.day).cast(m.month.type)
    with begin(engine, schema) as conn:
        summed = conn.execute(
            select(month, d.asset_id, func.sum(d.total_bytes), func.count()).group_by(month, d.asset_id)
        ).all()
        kept = conn.execute(select(m.month, m.asset_id, m.total_bytes, m.days)).all()
    assert sorted(kept) == sorted(summed)


@pytest.fixture
def migrated(engine, schema) -> str:
    migrate(engine, schema)
    return schema


def test_a_day_is_written_once_and_a_rerun_writes_nothing(engine, migrated):
    day = served(MARCH, file(1, 5_000), file(2, 3_000))
    assert write(engine, migrated, day).as_dict() == {"assets": 2, "asset_days": 2, "asset_months": 2}
    with begin(engine, migrated) as conn:
        before = table_checksums(conn, ASSET_TABLES)
    assert write(engine, migrated, day).as_dict() == {"assets": 0, "asset_days": 0, "asset_months": 0}
    with begin(engine, migrated) as conn:
        assert table_checksums(conn, ASSET_TABLES) == before
    months_equal_their_days(engine, migrated)


def test_a_refetched_day_moves_its_month_by_its_difference(engine, migrated):
    write(engine, migrated, served(MARCH, file(1, 5_000), file(2, 3_000)))
    write(engine, migrated, served(MARCH + timedelta(days=1), file(1, 4_000), file(3, 9_000)))
    # Storyblok's answer for the first day again: file 1 served more, file 2 no longer listed
    written = write(engine, migrated, served(MARCH, file(1, 6_000)))
    assert (written.asset_days, written.asset_months) == (2, 2)
    months_equal_their_days(engine, migrated)
    with begin(engine, migrated) as conn:
        months = dict(conn.execute(select(asset_traffic_monthly.c.asset_id, asset_traffic_monthly.c.total_bytes)).all())
    assert months == {1: 10_000, 3: 9_000}  # file 2's only day gone: so is its month


def test_an_answer_listing_no_file_changes_nothing_stored(engine, migrated):
    write(engine, migrated, served(MARCH, file(1, 5_000)))
    assert write(engine, migrated, served(MARCH)).asset_days == 0  # the day's bytes not in: not every file gone
    with begin(engine, migrated) as conn:
        assert conn.execute(select(asset_traffic_daily.c.asset_id)).scalars().all() == [1]
    months_equal_their_days(engine, migrated)


def test_the_newest_days_description_stands_and_the_days_seen_widen(engine, migrated):
    write(engine, migrated, served(MARCH + timedelta(days=5), file(1, 5_000, filename="new.png")))
    deleted = datetime(2026, 3, 9, tzinfo=UTC)
    write(engine, migrated, served(MARCH + timedelta(days=9), file(1, 5_000, filename="new.png", deleted_at=deleted)))
    write(engine, migrated, served(MARCH, file(1, 5_000, filename="old.png")))  # an older day fetched later
    with begin(engine, migrated) as conn:
        row = conn.execute(select(assets)).mappings().one()
    assert (row["filename"], row["deleted_at"]) == ("new.png", deleted)
    assert (row["first_day"], row["last_day"]) == (MARCH, MARCH + timedelta(days=9))


def test_a_day_of_seventy_thousand_files_is_written_in_one_go(engine, migrated):
    many = served(MARCH, *(file(i, 1_000 + i) for i in range(70_000)))  # 9 columns each: far past 65,535 values
    assert write(engine, migrated, many).asset_days == 70_000
    with begin(engine, migrated) as conn:
        assert conn.scalar(select(func.sum(asset_traffic_monthly.c.total_bytes))) == sum(
            1_000 + i for i in range(70_000)
        )


def test_replay_from_the_kept_answers_equals_the_fetches(simulator, engine, migrated):
    rate = float(simulator.settings.requests_per_second)
    client = StoryblokClient(
        StoryblokConnectionSettings("sim", simulator.url, "eu", simulator.settings.token, "personal", rate)
    )
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(4)]
    # the second day fetched again: its newer answer stands
    load_days(client, lambda: begin(engine, migrated), ORG, [*days, days[1]])
    with begin(engine, migrated) as conn:
        fetched_sums = table_checksums(conn, ASSET_TABLES)
        for table in (assets, asset_traffic_daily, asset_traffic_monthly):
            conn.execute(delete(table))
    with begin(engine, migrated) as conn:
        done = replay(conn, ORG, days[0], days[-1])
        assert (done.asset_answers, done.answers) == (4, 0)
        assert table_checksums(conn, ASSET_TABLES) == fetched_sums
    months_equal_their_days(engine, migrated)


def test_replaced_description_is_not_a_change_of_bytes(engine, migrated):
    write(engine, migrated, served(MARCH, file(1, 5_000)))
    written = write(engine, migrated, served(MARCH, replace(file(1, 5_000), alt="a hero")))
    assert written.as_dict() == {"assets": 0, "asset_days": 0, "asset_months": 0}  # alt is not kept


def test_a_ranges_top_files_equal_their_summed_days_whether_read_from_months_or_days(engine, migrated):
    days = [date(2026, 2, 20) + timedelta(days=i) for i in range(20)]  # into March, past the 5th
    for n, day in enumerate(days):
        write(engine, migrated, served(day, file(1, 1_000 + n), file(2, 50 * (n % 7)), file(3 + n % 4, 700)))

    def summed(first: date, last: date) -> list[tuple[int, int]]:
        d = asset_traffic_daily.c
        total = func.sum(d.total_bytes)
        with begin(engine, migrated) as conn:
            found = conn.execute(
                select(d.asset_id, total)
                .where(d.day.between(first, last))
                .group_by(d.asset_id)
                .order_by(total.desc(), d.asset_id)
                .limit(3)
            )
            return [(int(a), int(b)) for a, b in found]

    for first, last in [
        (MARCH, days[-1]),  # the month so far: its month rows (nothing after it stored)
        (MARCH, date(2026, 3, 5)),  # days of March after it are stored: its day rows
        (date(2026, 2, 1), days[-1]),  # February whole from its rows, March so far from its own
        (date(2026, 2, 25), date(2026, 3, 3)),  # across a month, neither whole
    ]:
        with begin(engine, migrated) as conn:
            read = [(u.asset_id, u.total_bytes) for u in top_assets(conn, ORG, first, last, 3)]
        assert read == summed(first, last), (first, last)
    with begin(engine, migrated) as conn:
        [only] = top_assets(conn, ORG, MARCH, days[-1], 3, space_id="7")[:1]
        assert top_assets(conn, ORG, MARCH, days[-1], 3, space_id="8") == []
    assert (only.asset_id, only.filename, only.content_type) == (
        1,
        "https://a.storyblok.com/f/7/hero-1.png",
        "image/png",
    )
