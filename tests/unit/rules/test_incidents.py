"""An incident's two notices, rendered from its fields alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from storyblok_traffic.rules import incidents as i

AT = datetime(2026, 12, 6, 9, 5, tzinfo=UTC)
LATER = datetime(2026, 12, 6, 10, 40, tzinfo=UTC)
FAILURE = i.Failure(i.TOKEN_REJECTED, "scheduled__2026-11-06", "fetch_traffic", "Storyblok answered 401", AT, "fp")


def counted(incident: i.Incident, runs: int) -> i.Incident:
    return replace(incident, runs_failed=runs, last_run="scheduled__2026-12-05", last_at=LATER)


def test_the_opening_names_the_first_run_its_error_and_what_to_do():
    told = i.message(i.opened("acme", FAILURE))
    assert told.subject == "Storyblok traffic: acme is failing: Storyblok rejected the token"
    assert told.text.splitlines() == [
        told.subject,
        "Storyblok rejected the token: run scheduled__2026-11-06 failed at task fetch_traffic on 2026-12-06 "
        "09:05 UTC: Storyblok answered 401.",
        "What to do: fix the Access token of the organisation's Storyblok connection (a personal access token "
        "of an organisation owner or admin), then clear the failed runs. Runs with this token in the next 30 "
        "minutes fail at once, without asking Storyblok; later runs ask again.",
        "Told once: later failures of the same cause count on this incident, and one notice says when it works again.",
    ]
    assert told.data["event"] == i.OPENED
    assert told.data["runs_failed"] == 1


def test_the_resolution_counts_the_runs_from_first_to_last():
    done = replace(counted(i.opened("acme", FAILURE), 31), resolved_at=LATER, resolved_by=date(2026, 12, 5))
    told = i.message(done)
    assert told.subject == "Storyblok traffic: acme is working again (Storyblok rejected the token)"
    assert told.text.splitlines()[1:] == [
        "Working again: the check of 2026-12-05 completed on 2026-12-06 10:40 UTC.",
        "Storyblok rejected the token from 2026-12-06 09:05 UTC to 2026-12-06 10:40 UTC: 31 runs failed, the "
        "first scheduled__2026-11-06, the last scheduled__2026-12-05. Days those runs missed are fetched by the "
        "next runs (or clear the failed runs).",
    ]
    assert (told.data["event"], told.data["runs_failed"], told.data["resolved_by_check_of"]) == (
        i.RESOLVED,
        31,
        "2026-12-05",
    )


def test_an_opening_told_again_later_says_what_it_said_then():
    first = i.message(i.opened("acme", FAILURE))
    later = replace(counted(i.opened("acme", FAILURE), 9), resolved_at=LATER, resolved_by=date(2026, 12, 5))
    assert i.message(i.as_told(later, i.OPENED)) == first
    assert i.as_told(later, i.RESOLVED) == later


@pytest.mark.parametrize("cause", sorted(i.CAUSES))
def test_every_cause_has_its_words_in_the_subject(cause):
    incident = i.opened("acme", replace(FAILURE, cause=cause))
    assert i.subject(incident) == f"Storyblok traffic: acme is failing: {i.CAUSES[cause][0]}"
    assert i.is_incident_notice(i.message(incident).text)


def test_the_watchdog_and_an_unknown_cause():
    incident = i.opened(i.WATCHDOG_SCOPE, replace(FAILURE, cause="from_a_newer_version"))
    assert i.subject(incident) == "Storyblok traffic: the watchdog is failing: from_a_newer_version"


def test_the_summary_line_says_how_many_runs_why_and_what_to_do():
    incident = counted(i.opened("acme", FAILURE), 30)
    assert i.summary(incident) == (
        "30 runs failed since 2026-12-06 09:05 UTC: Storyblok rejected the token; fix the connection's "
        "Access token, then clear the failed runs (incident open)"
    )
    assert i.summary(replace(i.opened("acme", replace(FAILURE, cause=i.API_UNAVAILABLE)))) == (
        "1 run failed since 2026-12-06 09:05 UTC: the Storyblok API was unavailable (incident open)"
    )


def test_usage_notices_are_not_incident_notices():
    assert not i.is_incident_notice("Storyblok traffic: acme has used 75.3% of its yearly request limit\n...")
    assert not i.is_incident_notice("Storyblok traffic pipeline storyblok_traffic failed in run x")


def test_only_the_same_token_fails_fast_and_only_while_its_rejection_is_fresh():
    incident = i.opened("acme", FAILURE)
    assert i.fails_fast(incident, "fp", AT + timedelta(minutes=i.FAIL_FAST_MINUTES - 1))
    assert not i.fails_fast(incident, "fp", AT + timedelta(minutes=i.FAIL_FAST_MINUTES))  # asks again
    assert not i.fails_fast(incident, "another token", AT)
    assert not i.fails_fast(replace(incident, resolved_at=AT), "fp", AT)
    assert not i.fails_fast(i.opened("acme", replace(FAILURE, cause=i.API_UNAVAILABLE)), "fp", AT)


def test_a_resolved_incidents_summary_says_from_when_to_when():
    done = replace(counted(i.opened("acme", FAILURE), 30), resolved_at=LATER, resolved_by=date(2026, 12, 5))
    assert i.summary(done) == (
        "30 runs failed from 2026-12-06 09:05 UTC to 2026-12-06 10:40 UTC: Storyblok rejected the token "
        "(resolved on 2026-12-06 10:40 UTC)"
    )


def test_failures_in_one_minute_are_told_at_that_minute():
    done = replace(i.opened("acme", FAILURE), runs_failed=31, resolved_at=LATER, resolved_by=date(2026, 12, 5))
    assert "Storyblok rejected the token at 2026-12-06 09:05 UTC: 31 runs failed" in i.message(done).text
    assert i.summary(done).startswith("31 runs failed at 2026-12-06 09:05 UTC: ")


def test_the_webhooks_fields_are_the_incident_as_stored():
    incident = counted(i.opened("acme", FAILURE), 3)
    assert i.fields(incident) == {
        "event": "incident_opened",
        "org": "acme",
        "cause": "token_rejected",
        "opened_at": "2026-12-06T09:05:00+00:00",
        "first_run": "scheduled__2026-11-06",
        "first_task": "fetch_traffic",
        "error": "Storyblok answered 401",
        "runs_failed": 3,
        "last_run": "scheduled__2026-12-05",
        "last_failed_at": "2026-12-06T10:40:00+00:00",
        "resolved_at": None,
        "resolved_by_check_of": None,
    }
    done = replace(incident, resolved_at=LATER, resolved_by=date(2026, 12, 5))
    assert i.fields(done) | {"event": "incident_resolved"} == i.fields(done)
    assert (i.fields(done)["resolved_at"], i.fields(done)["resolved_by_check_of"]) == (
        "2026-12-06T10:40:00+00:00",
        "2026-12-05",
    )


def test_an_opening_without_a_task_or_an_error_and_of_an_unknown_cause():
    bare = i.opened("acme", replace(FAILURE, cause="from_a_newer_version", task_id=None, error=None))
    assert i.message(bare).text.splitlines()[1:3] == [
        "From_a_newer_version: run scheduled__2026-11-06 failed on 2026-12-06 09:05 UTC.",
        "What to do: read the failed task's log in the Airflow UI.",
    ]


def test_a_resolution_without_its_check_says_a_run_and_when_it_was_resolved():
    resolved = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
    done = replace(counted(i.opened("acme", FAILURE), 2), resolved_at=resolved)
    assert i.message(done).text.splitlines()[1] == "Working again: a run completed on 2026-12-06 11:00 UTC."
    assert i.summary(done).endswith("(resolved on 2026-12-06 11:00 UTC)")


def test_only_a_first_line_that_is_an_incidents_subject_counts():
    opened = i.message(i.opened("acme", FAILURE)).text
    assert i.is_incident_notice(opened)
    assert not i.is_incident_notice("Storyblok traffic: acme has used 80% of its limit\n" + opened)
