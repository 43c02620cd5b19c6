"""Reconciliation with Storyblok's traffic_used_this_year on the check of the newest day (issue 11)."""

from __future__ import annotations

from datetime import date, timedelta

from storyblok_traffic.config import MonitorConfig, OrgConfig
from tests.integration.pipeline import SLACK, run

DAYS = {date(2026, 1, 1) + timedelta(days=i): 1_000 + i for i in range(79)}  # Jan 1 .. Mar 20
NEWEST = max(DAYS)
USED = sum(DAYS.values()) + 600  # Storyblok's figure on Mar 21 holds part of that day too


def setup(history, org: OrgConfig, schema: str, days: dict[date, int] = DAYS) -> MonitorConfig:
    history.limit(org.org, date(2026, 1, 1), 1_000_000)
    history.days(org.org, days)  # bytes are ten times the requests
    history.limit(org.org, NEWEST + timedelta(days=1), 1_000_000, used=USED)  # the snapshot of Mar 21
    return MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(org,))


def test_the_configured_reading_matching_is_reported_quietly(history, schema, receiver):
    org = OrgConfig(conn_id="sb", org="acme")
    summary = run(NEWEST, org, setup(history, org, schema)).reconciliation
    assert summary is not None
    assert (summary.reported, summary.matches, summary.year_start, summary.missing_days) == (
        USED,
        "requests",
        date(2026, 1, 1),
        0,
    )
    assert summary.stored_requests == sum(DAYS.values())
    assert summary.stored_bytes == 10 * sum(DAYS.values())
    assert summary.difference_pct == round(600 * 100 / USED, 2)
    assert receiver.messages == []


def test_a_wrong_limit_meter_is_told_once_naming_the_setting(history, schema, receiver):
    org = OrgConfig(conn_id="sb", org="acme", limit_meter="bytes")
    config = setup(history, org, schema)
    checked = run(NEWEST, org, config)
    assert checked.reconciliation is not None
    assert checked.reconciliation.matches == "requests"
    assert any("set `limit_meter: requests`" in note for note in checked.notes)
    run(NEWEST, org, config)  # the same check again: no second notice
    [text] = receiver.texts()
    assert text.startswith("Storyblok traffic: figures disagree for acme\n")
    assert f"Storyblok reports {USED:,} used this year, which matches the stored requests since 2026-01-01" in text
    assert "set `limit_meter: requests` for this organisation" in text


def test_a_wrong_contract_year_names_the_year_start_that_matches(history, schema, receiver):
    org = OrgConfig(conn_id="sb", org="acme", year_start_month=3, year_start_day=1)
    checked = run(NEWEST, org, setup(history, org, schema))
    assert checked.reconciliation is not None
    assert (checked.reconciliation.matches, checked.reconciliation.year_start) == ("requests", date(2026, 1, 1))
    [text] = receiver.texts()
    assert "not the configured requests since 2026-03-01" in text
    assert "set `year_start_month: 1`, `year_start_day: 1`" in text


def test_missing_days_are_named_when_nothing_matches(history, schema, receiver):
    org = OrgConfig(conn_id="sb", org="acme")
    recent = {d: n for d, n in DAYS.items() if d >= date(2026, 3, 1)}  # January and February not stored
    checked = run(NEWEST, org, setup(history, org, schema, recent))
    assert checked.reconciliation is not None
    assert (checked.reconciliation.matches, checked.reconciliation.missing_days) == (None, 59)
    [text] = receiver.texts()
    assert "with 59 days missing: run storyblok_traffic_backfill for the missing days" in text


def test_an_older_day_is_not_reconciled(history, schema, receiver):
    org = OrgConfig(conn_id="sb", org="acme", limit_meter="bytes")
    assert run(NEWEST - timedelta(days=1), org, setup(history, org, schema)).reconciliation is None
    assert receiver.messages == []


def test_only_the_figures_last_whole_day_is_reconciled_whatever_is_stored_after_it(history, schema, receiver):
    """Checks in any order end as in date order: the day before the newest is not reconciled even when it
    is checked before the newest is stored (it was, when the newest stored day was judged)."""
    org = OrgConfig(conn_id="sb", org="acme", limit_meter="bytes")
    config = setup(history, org, schema, {d: n for d, n in DAYS.items() if d < NEWEST})
    assert run(NEWEST - timedelta(days=1), org, config).reconciliation is None
    assert receiver.messages == []
    history.days(org.org, {NEWEST: DAYS[NEWEST]})
    assert run(NEWEST, org, config).reconciliation is not None
    [text] = receiver.texts()
    assert text.startswith("Storyblok traffic: figures disagree for acme\n")
