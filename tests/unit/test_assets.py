"""The assets_traffic answer: pages validated together, paging headers checked, nothing guessed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from storyblok_traffic.assets import MAX_PAGES, pages_text, paging, parse_asset_day
from storyblok_traffic.errors import StoryblokPayloadError

DAY = date(2026, 3, 5)


def asset(asset_id: int, **changes: object) -> dict[str, object]:
    return {
        "id": asset_id,
        "alt": None,
        "asset_folder_id": None,
        "content_length": 2_000_000,
        "content_type": "image/png",
        "deleted_at": None,
        "filename": f"https://a.storyblok.com/f/1/hero-{asset_id}.png",
        "is_private": False,
        "space_id": 100_007,
        "total_bytes": 5_000_000_000,
    } | changes


def pages(*answers: list[dict[str, object]]) -> bytes:
    return pages_text([json.dumps({"assets": assets}).encode() for assets in answers])


def test_two_pages_read_as_one_day_keyed_by_asset():
    day = parse_asset_day(pages([asset(1), asset(2)], [asset(3, deleted_at="2025-11-03T09:12:44.000Z")]), DAY, 3)
    assert sorted(day.assets) == [1, 2, 3]
    assert day.assets[1].space_id == "100007"  # as the traffic tables keep space ids
    assert day.assets[3].deleted_at == datetime(2025, 11, 3, 9, 12, 44, tzinfo=UTC)


def test_an_asset_on_two_pages_with_the_same_figures_is_one_and_with_others_is_refused():
    assert list(parse_asset_day(pages([asset(1)], [asset(1)]), DAY).assets) == [1]
    with pytest.raises(StoryblokPayloadError, match="lists asset 1 twice with different figures"):
        parse_asset_day(pages([asset(1)], [asset(1, total_bytes=7)]), DAY)


def test_pages_holding_fewer_assets_than_announced_are_refused():
    with pytest.raises(StoryblokPayloadError, match=r"announced 3 assets \(its Total header\) and its 2 page"):
        parse_asset_day(pages([asset(1)], [asset(2)]), DAY, 3)


def test_a_wrong_field_is_named_with_its_page():
    with pytest.raises(StoryblokPayloadError, match=r"page 2: assets\.0\.total_bytes: .*greater than or equal to 0"):
        parse_asset_day(pages([asset(1)], [asset(2, total_bytes=-1)]), DAY)
    with pytest.raises(StoryblokPayloadError, match=r"page 1: assets\.0: required field is missing|filename"):
        parse_asset_day(pages([{k: v for k, v in asset(1).items() if k != "filename"}]), DAY)
    with pytest.raises(StoryblokPayloadError, match="is not JSON"):
        parse_asset_day(b"[<html>]", DAY)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Total": "2500", "Per-Page": "1000"}, 3),
        ({"Total": "0", "Per-Page": "100"}, 1),
        ({"Total": "1000", "Per-Page": "1000"}, 1),
    ],
)
def test_paging_headers_give_the_pages(headers, expected):
    found = paging(headers)
    assert (found.pages if found else None) == expected


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"Total": "12"}, "Per-Page header is None"),
        ({"Total": "many", "Per-Page": "100"}, "Total header is 'many'"),
        ({"Total": "12", "Per-Page": "0"}, "Per-Page header of 0"),
        ({"Total": str(1000 * MAX_PAGES + 1), "Per-Page": "1000"}, f"more than the {MAX_PAGES} a day"),
    ],
)
def test_paging_headers_that_cannot_be_followed_are_refused_naming_the_header(headers, named):
    with pytest.raises(StoryblokPayloadError, match=named):
        paging(headers)
