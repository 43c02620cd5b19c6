"""Which stored reading Storyblok's traffic_used_this_year matches, and what to change when it is not ours."""

from __future__ import annotations

from datetime import date

from storyblok_traffic.rules.reconcile import Candidate, reconcile

JAN, MAR = date(2026, 1, 1), date(2026, 3, 1)


def readings(missing: int = 0) -> list[Candidate]:
    return [
        Candidate("requests", MAR, 800_000, missing, 10_000),
        Candidate("bytes", MAR, 40_000_000_000, missing, 500_000_000),
        Candidate("requests", JAN, 1_200_000, missing, 10_000),
        Candidate("bytes", JAN, 60_000_000_000, missing, 500_000_000),
    ]


def test_the_configured_reading_matches_within_one_percent_plus_the_day_in_progress():
    configured, *others = readings()
    verdict = reconcile(808_000 + 10_000, configured, others)  # 1 % over, plus a day in progress
    assert verdict.matched is configured
    assert verdict.advice is None
    assert (verdict.stored_requests, verdict.stored_bytes, verdict.year_start) == (800_000, 40_000_000_000, MAR)
    assert verdict.difference_pct == 2.2


def test_a_figure_below_what_is_stored_by_more_than_one_percent_is_no_match():
    configured, *others = readings(missing=0)
    verdict = reconcile(790_000, configured, others)
    assert verdict.matched is None
    assert "with no day missing, and neither matches" in str(verdict.advice)


def test_bytes_matching_while_requests_are_configured_says_to_set_the_metric():
    configured, *others = readings()
    verdict = reconcile(40_100_000_000, configured, others)
    assert verdict.matched is not None
    assert verdict.matched.metric == "bytes"
    assert "set `metric: bytes` for this organisation" in str(verdict.advice)


def test_the_calendar_year_matching_says_which_year_start_to_set():
    configured, *others = readings()
    verdict = reconcile(1_201_000, configured, others)
    assert verdict.year_start == JAN
    assert (verdict.stored_requests, verdict.stored_bytes) == (1_200_000, 60_000_000_000)
    assert "set `year_start_month: 1`, `year_start_day: 1` for this organisation" in str(verdict.advice)


def test_nothing_matching_with_days_missing_says_to_backfill_them():
    configured, *others = readings(missing=12)
    verdict = reconcile(2_000_000, configured, others)
    assert verdict.matched is None
    assert verdict.missing_days == 12
    assert "Storyblok reports 2,000,000 used this year" in str(verdict.advice)
    assert "with 12 day(s) missing: run storyblok_traffic_backfill" in str(verdict.advice)
