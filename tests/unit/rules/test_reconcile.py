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


def test_bytes_matching_while_requests_are_configured_says_to_set_the_limit_meter():
    configured, *others = readings()
    verdict = reconcile(40_100_000_000, configured, others)
    assert verdict.matched is not None
    assert verdict.matched.meter == "bytes"
    assert "set `limit_meter: bytes` for this organisation" in str(verdict.advice)


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
    assert "with 12 days missing: run storyblok_traffic_backfill" in str(verdict.advice)


def test_a_match_is_bounded_by_one_percent_of_the_figure_on_either_side():
    exact = Candidate("requests", MAR, 1_000_000, 0, 0)
    assert exact.matches(1_010_101)  # stored is 1 % of the figure below it (10,101.01)
    assert not exact.matches(1_010_102 + 10)
    assert exact.matches(990_100)  # stored is 9,900 above, 1 % of the figure is 9,901
    assert not exact.matches(990_000)  # 10,000 above, 1 % is 9,900


def test_only_one_meter_stored_shows_the_other_as_none():
    configured = Candidate("requests", MAR, 800_000, 0, 0)
    verdict = reconcile(5_000_000, configured, [])
    assert (verdict.stored_requests, verdict.stored_bytes) == (800_000, 0)
    assert verdict.advice == (
        f"Storyblok reports 5,000,000 used this year; the stored days since {MAR} sum to 800,000 requests and "
        "0 bytes, with no day missing, and neither matches: Storyblok counts differently from its daily "
        "statistics, so check `limit_meter` and the contract year (`year_start_month`, `year_start_day`)."
    )
    only_bytes = reconcile(5_000_000, Candidate("bytes", MAR, 9, 0, 0), [])
    assert (only_bytes.stored_requests, only_bytes.stored_bytes) == (0, 9)


def test_the_advice_for_missing_days_says_which_run_fills_them():
    configured, *others = readings(missing=3)
    assert reconcile(5_000_000, configured, others).advice == (
        f"Storyblok reports 5,000,000 used this year; the stored days since {MAR} sum to 800,000 requests and "
        "40,000,000,000 bytes, with 3 days missing: run storyblok_traffic_backfill for the missing days, then "
        "compare again."
    )


def test_a_match_in_another_meter_and_year_names_both_settings():
    configured, *others = readings()
    assert reconcile(60_000_000_000, configured, others).advice == (
        f"Storyblok reports 60,000,000,000 used this year, which matches the stored bytes since {JAN} "
        f"(1,200,000 requests and 60,000,000,000 bytes), not the configured requests since {MAR}: set "
        "`limit_meter: bytes` and `year_start_month: 1`, `year_start_day: 1` for this organisation."
    )


def test_a_match_includes_both_of_its_bounds():
    assert Candidate("requests", MAR, 1_010_000, 0, 0).matches(1_000_000)  # 1 % more stored, exactly
    assert Candidate("requests", MAR, 985_000, 0, 5_000).matches(1_000_000)  # 1 % and a day's allowance less
    assert not Candidate("requests", MAR, 984_999, 0, 5_000).matches(1_000_000)


def test_without_a_requests_reading_the_advice_counts_none():
    advice = reconcile(5_000_000, Candidate("bytes", MAR, 9, 0, 0), []).advice
    assert advice is not None
    assert "sum to 0 requests and 9 bytes" in advice
