"""The quietly recorded history folded into one line per period (pure), as the dashboard and the report show it."""

from __future__ import annotations

from datetime import date

from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.quiet_history import fold, recorded_quietly, shown_start
from tests.unit.rules.test_messages import alert as shared_alert

MARCH = dict(period="month", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
YEAR = dict(period="year", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))


def alert(**kw: object) -> st.Alert:
    """A March crossing recorded quietly (the shared factory's alert, moved to March)."""
    march = {
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "threshold_pct": 80.0,
        "crossed_on": date(2026, 3, 20),
        "as_of": date(2026, 3, 20),
        "evaluated_on": date(2026, 3, 20),
        "usage_limit": 1000,
        "status": st.SUPPRESSED,
        "meter": "requests",
    }
    return shared_alert(**{**march, **kw})


def test_quiet_is_suppressed_or_cleared_without_a_delivery():
    assert recorded_quietly(alert(status=st.SUPPRESSED), delivered=False)
    assert recorded_quietly(alert(status=st.SUPPRESSED), delivered=True)  # a quiet row whose earlier notice went out
    assert recorded_quietly(alert(status=st.CLEARED), delivered=False)
    assert not recorded_quietly(alert(status=st.CLEARED), delivered=True)  # its clear was told
    assert not recorded_quietly(alert(status=st.SENT), delivered=False)
    assert not recorded_quietly(alert(status=st.PENDING), delivered=False)


def test_a_spike_is_shown_from_its_episode_and_a_period_without_a_day_from_none():
    spike = alert(kind=st.SPIKE, period="space 8", period_start=st.NEVER, crossed_on=date(2026, 11, 29))
    assert shown_start(spike) == date(2026, 11, 29)
    assert shown_start(alert(kind=st.SILENT, period=st.MONITOR_PERIOD, period_start=st.NEVER, meter="")) is None
    assert shown_start(alert(**MARCH)) == date(2026, 3, 1)


def test_one_line_per_period_newest_first_thresholds_then_forecasts():
    folded = fold(
        [
            alert(**YEAR, threshold_pct=50.0, crossed_on=date(2026, 6, 3)),
            alert(**MARCH, threshold_pct=100.0, crossed_on=date(2026, 3, 28)),
            alert(**MARCH, kind=st.FORECAST, threshold_pct=100.0, projected_on=date(2026, 3, 27)),
            alert(**MARCH, threshold_pct=80.0, crossed_on=date(2026, 3, 20)),
            alert(period="data", period_start=date(2026, 4, 2), kind=st.NO_DATA, threshold_pct=0.0, meter=""),
            alert(period="space 8", period_start=st.NEVER, kind=st.SPIKE, threshold_pct=0.0, status=st.CLEARED),
        ]
    )
    assert [q.line for q in folded] == [
        "data 2026-04-02: 1 alert (no data)",
        "space 8 2026-03-20: 1 alert (API requests spike)",
        "month 2026-03-01: 3 alerts (API requests 80%, 100%, forecast 100%)",
        "year 2026-01-01: 1 alert (API requests 50%)",
    ]
    assert [q.start for q in folded] == [date(2026, 4, 2), date(2026, 3, 20), date(2026, 3, 1), date(2026, 1, 1)]
    assert [a.threshold_pct for a in folded[2].alerts] == [80.0, 100.0, 100.0]


def test_each_meter_is_named_once_before_its_alerts_and_those_of_no_meter_come_last():
    [march] = fold(
        [
            alert(**MARCH, meter="bytes", threshold_pct=80.0),
            alert(**MARCH, kind=st.MAXIMUM, threshold_pct=90.0),
            alert(**MARCH, kind=st.OVERAGE, threshold_pct=0.0, meter=""),
            alert(**MARCH, threshold_pct=100.0),
            alert(**MARCH, kind=st.FORECAST, meter="bytes", threshold_pct=100.0),
        ]
    )
    assert march.line == (
        "month 2026-03-01: 5 alerts (API requests 100%, maximum 90%; bandwidth 80%, forecast 100%; overage)"
    )


def test_periods_of_one_day_are_ordered_by_name_and_one_without_a_day_comes_last():
    folded = fold(
        [
            alert(kind=st.SILENT, period=st.MONITOR_PERIOD, period_start=st.NEVER, threshold_pct=0.0, meter=""),
            alert(**MARCH),
            alert(kind=st.DISAGREE, period="year", period_start=date(2026, 3, 1), threshold_pct=0.0, meter=""),
            alert(kind=st.PLAN, period=st.PLAN_PERIOD, period_start=date(2026, 3, 1), threshold_pct=0.0, meter=""),
            alert(kind=st.CHEAPER, period="month", period_start=date(2026, 3, 1), threshold_pct=0.0, meter=""),
        ]
    )
    assert [q.line for q in folded] == [
        "month 2026-03-01: 2 alerts (API requests 80%; another plan cheaper)",
        "plan 2026-03-01: 1 alert (plan and limit disagree)",
        "year 2026-03-01: 1 alert (figures disagree)",
        "monitor: 1 alert (monitor silent)",
    ]
    assert folded[-1].start is None


def test_nothing_quiet_folds_to_nothing():
    assert fold([]) == []


def test_a_kind_from_a_newer_version_is_named_as_itself_after_the_known_kinds():
    newer = alert(kind="from a newer version", threshold_pct=0.0)
    [period] = fold([newer, alert()])
    assert period.line == "month 2026-03-01: 2 alerts (API requests 80%, from a newer version)"
