"""Parsing the all_traffic answer: the reference example, Storyblok's quirks, and errors that name the field."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.model import load_json, parse_all_traffic, parse_daily
from storyblok_traffic.xcom import FetchedTraffic

EXAMPLE = json.loads((Path(__file__).parents[1] / "data" / "all_traffic_example.json").read_text())
FIRST, LAST = date(2026, 3, 7), date(2026, 3, 8)


def example() -> dict:
    return copy.deepcopy(EXAMPLE)


def test_reference_example_parses():
    report = parse_all_traffic(example())
    assert report.monthly_traffic_limit == 1_000_000  # from the misspelled key
    assert report.yearly_traffic_limit == 12_000_000
    assert report.cumulated_traffic.requests_used_last_days == 210_345
    assert set(report.traffic_top_spaces) == {"287301", "other_spaces"}
    assert report.traffic_top_spaces["other_spaces"][1].total_bytes is None


def test_daily_rows_keyed_by_day_and_space():
    daily = parse_daily(example(), FIRST, LAST)
    assert daily.org_days[FIRST].api_requests == 31_210
    assert daily.org_days[LAST].total_bytes is None
    assert daily.space_days[("287302", LAST)].api_requests == 10_810  # "287302" and 287302 are one space
    assert len(daily.space_days) == 4


def test_corrected_spelling_is_accepted_too():
    payload = example()
    payload["monthly_traffic_limit"] = payload.pop("montly_traffic_limit")
    assert parse_all_traffic(payload).monthly_traffic_limit == 1_000_000


def test_month_buckets_parse_but_are_not_days():
    payload = example()
    payload["cumulated_traffic"]["traffic"] = [{"date": "2026-03", "api_requests": 5, "total_bytes": None}]
    assert parse_all_traffic(payload).cumulated_traffic.traffic[0].date == "2026-03"
    with pytest.raises(StoryblokPayloadError, match=r"cumulated_traffic\.traffic\.0\.date: '2026-03' is not"):
        parse_daily(payload, FIRST, LAST)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p: p.pop("yearly_traffic_limit"), "yearly_traffic_limit: required field is missing"),
        (lambda p: p.pop("montly_traffic_limit"), "montly_traffic_limit: required field is missing"),
        (
            lambda p: p["cumulated_traffic"].pop("traffic"),
            "cumulated_traffic.traffic: required field is missing",
        ),
        (lambda p: p["traffic"][1].pop("space_id"), "traffic.1.space_id: required field is missing"),
        (lambda p: p["traffic"][0].update(api_requests="many"), "traffic.0.api_requests"),
        (lambda p: p["traffic"][0].update(api_requests=-5), "traffic.0.api_requests"),
        (lambda p: p.update(traffic_used_this_year=None), "traffic_used_this_year"),
    ],
)
def test_invalid_fields_are_named(mutate, expected):
    payload = example()
    mutate(payload)
    with pytest.raises(StoryblokPayloadError, match="invalid") as err:
        parse_daily(payload, FIRST, LAST)
    assert expected in str(err.value)


def test_day_outside_the_requested_range():
    with pytest.raises(
        StoryblokPayloadError, match=r"2026-03-08 is outside the requested range 2026-03-07\.\.2026-03-07"
    ):
        parse_daily(example(), FIRST, FIRST)


def test_duplicate_space_day_is_rejected():
    payload = example()
    payload["traffic"].append(dict(payload["traffic"][0]))
    with pytest.raises(StoryblokPayloadError, match="traffic lists space 287301 on 2026-03-07 twice"):
        parse_daily(payload, FIRST, LAST)


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b'{"truncated": ', b""])
def test_not_json(body):
    with pytest.raises(StoryblokPayloadError, match="not JSON"):
        load_json(body)


def test_not_an_object():
    with pytest.raises(StoryblokPayloadError, match="must be a JSON object, got list"):
        parse_all_traffic(["This record could not be found"])


def test_fetched_traffic_round_trips_through_xcom():
    from datetime import UTC, datetime

    fetched = FetchedTraffic("acme", FIRST, LAST, "day", datetime(2026, 3, 9, 1, tzinfo=UTC), example())
    value = json.loads(json.dumps(fetched.to_xcom()))  # what XCom stores is JSON
    assert FetchedTraffic.from_xcom(value) == fetched
    assert len(json.dumps(value)) < 4_000
