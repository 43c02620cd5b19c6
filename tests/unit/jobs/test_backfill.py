"""The backfill's range: months a request each, and a bad range refused before any request."""

from __future__ import annotations

from datetime import date

import pytest
from airflow.sdk.exceptions import AirflowFailException

from storyblok_traffic.jobs import backfill
from storyblok_traffic.xcom import Range


def test_month_chunks_cover_the_range_once():
    chunks = backfill.month_chunks(Range(date(2025, 11, 20), date(2026, 2, 3)))
    assert [(c.first, c.last) for c in chunks] == [
        (date(2025, 11, 20), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 3)),
    ]
    assert len(backfill.month_chunks(Range(date(2025, 1, 1), date(2025, 12, 31)))) == 12


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-02-01", "2026-01-01", "before start_date"),
        ("2026-01-01", "2026-03-10", "must be before today"),
        ("2020-01-01", "2026-01-01", "more than 1098 days"),
        ("last year", "2026-01-01", "YYYY-MM-DD"),
    ],
)
def test_bad_ranges_fail_before_any_request(start, end, expected):
    with pytest.raises(AirflowFailException, match=expected):
        backfill.checked_range(start, end, today=date(2026, 3, 10))
