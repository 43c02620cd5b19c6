"""Hostile answers (issue 27): nesting deeper than the decoder goes, NaN and infinity, numbers past 64
bits, another encoding, a name given twice in one object, a huge array: each a clear payload error
naming what is wrong, never another exception. And a fuzz test of the parser for a fixed budget: any
bytes, and the reference answer with any JSON value put in any place, are parsed or refused with a
``StoryblokPayloadError``, nothing else."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.model import parse_daily
from tests.unit.test_model import FIRST, LAST, example

GOOD = json.dumps(example())


def _with(old: str, new: str) -> bytes:
    assert old in GOOD
    return GOOD.replace(old, new, 1).encode()


HOSTILE = {
    "nested deeper than the decoder goes": (b"[" * 100_000 + b"]" * 100_000, "is nested too deeply to read"),
    "an object nested as deep": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "is nested too deeply to read"),
    "NaN": (_with('"api_requests": 31210', '"api_requests": NaN'), "is not JSON (JSON is malformed"),
    "infinity": (_with('"api_requests": 31210', '"api_requests": 1e999'), "Number out of range"),
    "a count past 64 bits": (
        _with('"api_requests": 31210', '"api_requests": 123456789012345678901234567890'),
        "Expected `int` <= 9223372036854775807 (got 123456789012345678901234567890)",
    ),
    "another encoding, in a field never read": (
        GOOD.replace('"other_spaces"', '"other_spaces", "note": "caf\u00e9"', 1).encode("latin-1"),
        "'utf-8' codec can't decode byte 0xe9",
    ),
    "a limit given twice": (
        _with('"montly_traffic_limit": ', '"montly_traffic_limit": 7, "montly_traffic_limit": '),
        "an object gives montly_traffic_limit twice (7 and ",
    ),
    "a bucket's count given twice": (
        _with('"api_requests": 31210', '"api_requests": 1, "api_requests": 31210'),
        "an object gives api_requests twice (1 and 31210)",
    ),
    "a name given twice, once spelt with an escape": (
        _with('"api_requests": 31210', '"api_requests": 31210, "api_r\\u0065quests": 2'),
        "an object gives api_requests twice (31210 and 2)",
    ),
    "a huge array of what is not a bucket": (
        _with('"traffic": [', '"traffic": [' + "0," * 2_000_000),
        "cumulated_traffic.traffic.0: Input should be a valid dictionary (got 0)",
    ),
}


@pytest.mark.parametrize(("body", "named"), HOSTILE.values(), ids=list(HOSTILE))
def test_a_hostile_answer_is_a_payload_error_naming_what_is_wrong(body: bytes, named: str):
    with pytest.raises(StoryblokPayloadError, match=r"^Storyblok response ") as refused:
        parse_daily(body, FIRST, LAST)
    assert named in str(refused.value)


def test_a_name_given_twice_where_nothing_is_read_is_no_ambiguity():
    body = _with('"traffic_used_this_year"', '"note": 1, "note": 2, "traffic_used_this_year"')
    assert parse_daily(body, FIRST, LAST).org_days[FIRST].api_requests == 31_210


def test_a_huge_array_where_nothing_is_read_is_skipped():
    body = _with('"traffic_used_this_year"', '"junk": [' + "[0]," * 2_000_000 + '0], "traffic_used_this_year"')
    assert parse_daily(body, FIRST, LAST).org_days[FIRST].api_requests == 31_210


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4_096))
def test_any_bytes_are_parsed_or_refused_with_a_payload_error(body: bytes):
    with contextlib.suppress(StoryblokPayloadError):  # any other exception fails the test
        parse_daily(body, FIRST, LAST)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _places(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path into the reference answer: each key of each object, each item of each list."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


PLACES = _places(example())[1:]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PLACES), JSON_VALUES)
def test_the_reference_answer_with_any_value_anywhere_is_parsed_or_refused(place: tuple[object, ...], value: object):
    answer = example()
    target = answer
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = value
    with contextlib.suppress(StoryblokPayloadError):
        parse_daily(json.dumps(answer).encode(), FIRST, LAST)
