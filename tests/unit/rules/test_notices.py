"""The notice model's severity table, its one order and its lifecycle (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules import notices as n
from tests.unit.rules.test_messages import DAY, alert

BASE = alert(threshold_pct=80.0, status=st.SENT, meter="requests")


def test_the_severity_table_is_pinned():
    assert n.SEVERITY == {
        st.MAXIMUM: "critical",
        st.SILENT: "critical",
        st.ACTUAL: "warning",
        st.OVERAGE: "warning",
        st.PLAN: "warning",
        st.NO_DATA: "warning",
        st.FORECAST: "info",
        st.SPIKE: "info",
        st.DISAGREE: "info",
        st.CHEAPER: "info",
    }
    assert n.severity(BASE) == "warning"
    assert n.severity(replace(BASE, threshold_pct=100.0)) == "critical"  # a limit reached
    assert n.severity(replace(BASE, threshold_pct=120.0)) == "critical"
    assert n.severity(replace(BASE, kind="from a newer version")) == "info"


def test_one_order_alarms_by_severity_then_kind_then_the_year_then_the_threshold_and_clears_last():
    silent = replace(BASE, kind=st.SILENT, period="monitor", threshold_pct=0.0)
    reached = replace(BASE, threshold_pct=100.0)
    year_90 = replace(BASE, period="year", threshold_pct=90.0)
    month_90 = replace(BASE, threshold_pct=90.0)
    no_data = replace(BASE, kind=st.NO_DATA, period="data", threshold_pct=0.0)
    forecast = replace(BASE, kind=st.FORECAST, threshold_pct=100.0)
    spike = replace(BASE, kind=st.SPIKE, period="organisation", threshold_pct=0.0)
    cleared = replace(reached, notice=st.CLEAR)
    shuffled = [cleared, forecast, no_data, month_90, spike, year_90, reached, silent]
    assert sorted(shuffled, key=n.rank) == [silent, reached, year_90, month_90, no_data, spike, forecast, cleared]


@pytest.mark.parametrize(
    ("change", "as_of", "state"),
    [
        ({"status": st.PENDING}, DAY, "open"),
        ({}, DAY, "open"),  # told, and its month goes on
        ({}, date(2026, 12, 1), "resolved"),  # its month ended
        ({"status": st.CLEARED, "notice": st.CLEAR}, DAY, "resolved"),  # told, then cleared
        ({"status": st.SUPPRESSED}, DAY, "quiet"),
        ({"kind": st.SPIKE, "period_end": None}, date(2027, 1, 1), "open"),  # until its clear
        ({"kind": st.NO_DATA, "period_start": date(2026, 11, 24)}, DAY, "open"),  # no newer day
        ({"kind": st.NO_DATA, "period_start": date(2026, 11, 20)}, DAY, "resolved"),  # data came back
    ],
)
def test_the_lifecycle(change, as_of, state):
    assert n.lifecycle(replace(BASE, **change), as_of, newest=date(2026, 11, 24), delivered=True) == state


def test_a_clear_never_delivered_is_quiet():
    cleared = replace(BASE, status=st.CLEARED, notice=st.CLEAR)
    assert n.lifecycle(cleared, DAY, DAY, delivered=False) == "quiet"


def test_a_kind_from_a_newer_version_sorts_after_every_known_one_and_higher_thresholds_first():
    newer = replace(BASE, kind="from a newer version", threshold_pct=0.0)
    cheaper = replace(BASE, kind=st.CHEAPER, threshold_pct=0.0)
    assert sorted([newer, cheaper], key=n.rank) == [cheaper, newer]
    eighty, ninety = replace(BASE, threshold_pct=80.0), replace(BASE, threshold_pct=90.0)
    assert sorted([eighty, ninety], key=n.rank) == [ninety, eighty]


def test_an_alarm_holds_through_its_periods_last_day_and_a_clear_never_does():
    assert n.still_open(BASE, date(2026, 11, 30), None)  # the period's last day
    assert not n.still_open(BASE, date(2026, 12, 1), None)
    assert not n.still_open(replace(BASE, notice=st.CLEAR, period_end=None), DAY, None)


def test_who_must_receive_a_notice_is_every_channel_it_is_routed_to_that_lacks_its_current_notice():
    year = replace(BASE, period="year")
    again = replace(BASE, notice_seq=BASE.notice_seq + 1)  # the same row told again: a new notice
    received = {(BASE.notice_id, "slack"), (BASE.notice_id, "email"), (year.notice_id, "slack")}

    def everywhere(a):
        return ("slack", "email")

    assert n.lacking([BASE, year, again], "slack", received, everywhere) == [again]
    assert n.lacking([BASE, year, again], "email", received, everywhere) == [year, again]
    assert n.received_everywhere([BASE, year, again], everywhere, received) == [BASE]
    assert n.received_everywhere([BASE, year], lambda a: ("slack",), received) == [BASE, year]
    assert n.received_everywhere([again], lambda a: (), received) == [again]  # routed nowhere: nobody lacks it

    def year_to_email(a):  # a route: the year's notices to email only
        return ("email",) if a.period == "year" else ("slack", "email")

    assert n.lacking([BASE, year, again], "email", received, year_to_email) == [year, again]
    assert n.lacking([BASE, year, again], "slack", received, year_to_email) == [again]  # the year is not for it
    assert n.received_everywhere([year], year_to_email, received) == []


def test_an_alerts_id_names_its_row_whatever_its_notice():
    assert n.notice_key(BASE) == f"month/{BASE.period_start}/requests/actual/80"
    assert n.notice_key(replace(BASE, notice_seq=7, usage=1)) == n.notice_key(BASE)
    assert n.notice_key(replace(BASE, kind=st.OVERAGE, meter="", threshold_pct=0.0)).endswith("/-/overage/0")
    spike = replace(BASE, kind=st.SPIKE, period="space 12", period_start=st.NEVER, threshold_pct=0.0)
    assert n.notice_key(spike) == "space 12/-/requests/spike/0"
