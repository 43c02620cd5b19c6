"""When to try a Storyblok request again: Retry-After, backoff, bounds."""

from __future__ import annotations

from storyblok_traffic.hooks.retry import parse_retry_after


def test_retry_after_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Mar 2026 12:00:05 GMT", now) == 5.0
