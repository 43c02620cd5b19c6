"""The files behind a period's bandwidth, in words: figures, share and each hint as its own rule."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from storyblok_traffic.rules.asset_use import AssetUse, carrying, days_of, hints, size_text, use_line

GB = 1_000_000_000
HERO = AssetUse(
    asset_id=7,
    filename="https://a.storyblok.com/f/100007/2400x1600/ab12/hero.png",
    space_id="100007",
    content_type="image/png",
    content_length=3_200_000,
    is_private=False,
    deleted=False,
    total_bytes=41 * GB,
)


def test_a_line_names_the_file_its_space_type_size_bytes_times_served_and_share():
    assert use_line(replace(HERO, content_type="image/svg+xml", content_length=3_200), 100 * GB) == (
        "hero.png (space 100007, image/svg+xml, 3 kB): 41.0 GB, served about 12,812,500 times, 41.0% of the bandwidth"
    )


def test_a_size_reads_in_the_unit_that_keeps_it_readable():
    assert [size_text(n) for n in (512, 20_000, 999_499, 48_000_000, 1_234_000_000)] == [
        "512 bytes",
        "20 kB",
        "999 kB",
        "48.0 MB",
        "1.2 GB",
    ]


def test_a_large_image_served_often_is_to_be_resized():
    [hint] = hints(HERO)  # 3.2 MB, served 12,812 times
    assert hint.startswith("a 3.2 MB image served about 12,812 times: serve it resized through Storyblok's Image")
    assert "resized" in use_line(HERO, 100 * GB)


@pytest.mark.parametrize(
    "changes",
    [
        {"content_length": 900_000},  # small enough
        {"total_bytes": 3_200_000 * 1_000},  # served 1,000 times: not more
        {"content_type": "application/pdf"},  # not an image
        {"content_length": None},  # size unknown: times served unknown
    ],
)
def test_an_image_is_not_told_to_be_resized_below_either_bound(changes):
    assert hints(replace(HERO, **changes)) == []


def test_a_video_a_deleted_file_and_a_private_file_each_have_their_hint():
    video = hints(replace(HERO, content_type="video/mp4", content_length=80_000_000))
    assert [h.split(":")[0] for h in video] == ["a video"]
    assert [h.split(":")[0] for h in hints(replace(HERO, content_type=None, deleted=True))] == [
        "deleted in Storyblok and still served"
    ]
    assert [h.split(":")[0] for h in hints(replace(HERO, content_type=None, is_private=True))] == ["private"]


def test_the_files_named_are_the_largest_first_ties_by_id():
    uses = [replace(HERO, asset_id=i, total_bytes=b) for i, b in ((1, 5), (2, 9), (3, 9), (4, 1))]
    assert [u.asset_id for u in carrying(uses, count=3)] == [2, 3, 1]


def test_a_file_without_a_name_or_size_is_still_told():
    bare = replace(HERO, filename="", content_type=None, content_length=None)
    assert use_line(bare, 0) == "asset 7 (space 100007): 41.0 GB"


def test_a_days_file_is_told_against_its_own_usual_day():
    spiking = replace(HERO, total_bytes=40 * GB, usual_bytes=5 * GB)
    assert "8.0x its usual day (5.0 GB)" in use_line(spiking, 80 * GB)
    assert "not served on its usual day" in use_line(replace(spiking, usual_bytes=0), 80 * GB)
    assert "usual" not in use_line(HERO, 80 * GB)  # a period's file: no usual day


def test_a_periods_days_read_as_a_range_or_as_its_first_day_alone():
    from datetime import date

    first = date(2026, 12, 2)
    assert days_of("month", first, date(2026, 12, 5)) == "in the month from 2026-12-02 to 2026-12-05"
    assert days_of("month", first, first) == "on 2026-12-02, the month's first day"  # not "from ... to" itself
