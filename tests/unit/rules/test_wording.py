"""One formatter per alert kind (pure): every kind has one, and the report's line and the delivery label
of each read as the report and the task's log show them."""

from __future__ import annotations

from datetime import date

import pytest

from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.wording import WORDING, Context
from tests.unit.rules.test_messages import DAY, DETAIL, alert, spike

KINDS = (
    st.ACTUAL,
    st.FORECAST,
    st.NO_DATA,
    st.SILENT,
    st.DISAGREE,
    st.SPIKE,
    st.OVERAGE,
    st.MAXIMUM,
    st.PLAN,
    st.CHEAPER,
)


def test_every_kind_has_its_wording_and_nothing_else_does():
    assert set(WORDING) == set(KINDS)


@pytest.mark.parametrize(
    ("row", "line"),
    [
        (alert(status=st.SENT), f"month from 2026-11-01, API requests: 100% crossed on {DAY} (sent)"),
        (
            alert(kind=st.FORECAST, threshold_pct=90.0, projected_on=date(2026, 11, 29)),
            f"month from 2026-11-01, API requests: forecast 90% on 2026-11-29, made on {DAY} (pending)",
        ),
        (
            alert(kind=st.NO_DATA, period=st.DATA_PERIOD, period_start=date(2026, 11, 20), period_end=None),
            f"no data after 2026-11-20 noticed on {DAY} (pending)",
        ),
        (
            alert(kind=st.SILENT, period=st.MONITOR_PERIOD, period_start=st.NEVER, crossed_on=date(2026, 11, 24)),
            "monitor silent after 2026-11-24 (pending)",
        ),
        (
            alert(
                kind=st.SILENT,
                period=st.MONITOR_PERIOD,
                period_start=st.NEVER,
                crossed_on=date(2026, 11, 24),
                notice=st.CLEAR,
            ),
            f"monitor silent after 2026-11-24, checks again on {DAY} (pending)",
        ),
        (
            alert(kind=st.DISAGREE, period="year", period_start=date(2026, 1, 1), threshold_pct=0.0),
            f"year from 2026-01-01: figures disagree on {DAY} (pending)",
        ),
        (spike(DETAIL), f"space 12345: spike from {DAY}, 9.6x its normal (pending)"),
        (
            spike(
                DETAIL, notice=st.CLEAR, as_of=date(2026, 11, 28), evaluated_on=date(2026, 11, 28), status=st.CLEARED
            ),
            f"space 12345: spike from {DAY}, 9.6x its normal, back to normal on 2026-11-28 (cleared)",
        ),
        (  # ended quietly (its start recorded quietly): the row keeps its last notice's day, not its end's
            spike(DETAIL, notice=st.CLEAR, evaluated_on=date(2026, 11, 30), status=st.CLEARED),
            f"space 12345: spike from {DAY}, 9.6x its normal, back to normal on 2026-11-30 (cleared)",
        ),
        (
            spike({"space_id": "7", "new": True, "amount": 3_000}, period="new space 7", usage=3_500),
            f"new space 7: 3,000 on {DAY} (pending)",
        ),
    ],
)
def test_the_report_line_of_each_kind(row: st.Alert, line: str):
    assert WORDING[row.kind].report_line(row) == line


def test_a_label_shows_the_threshold_only_where_the_kind_has_one():
    assert WORDING[st.ACTUAL].label(alert(threshold_pct=80.0)) == "month requests actual 80% alarm"
    forecast = alert(kind=st.FORECAST, threshold_pct=95.0, period="year")
    assert WORDING[st.FORECAST].label(forecast) == "year requests forecast 95% alarm"
    assert WORDING[st.SPIKE].label(spike(DETAIL, notice=st.CLEAR)) == "space 12345 spike clear"
    no_data = alert(kind=st.NO_DATA, period=st.DATA_PERIOD, threshold_pct=0.0)
    assert WORDING[st.NO_DATA].label(no_data) == "data no_data alarm"


def test_a_threshold_line_says_every_aside_in_order():
    """Reached before monitoring, days not stored, and the other thresholds of the group, lowest first."""
    head = alert(crossed_on=date(2026, 11, 10))
    others = [alert(threshold_pct=90.0, crossed_on=date(2026, 11, 8)), alert(threshold_pct=80.0)]
    ctx = Context("requests", {head.key: 2}, live_since=date(2026, 11, 20))
    assert WORDING[st.ACTUAL].line(head, others, ctx) == (
        f"Monthly request limit: 900 of 800 requests (112.5%) as of {DAY} in the month 2026-11-01 to 2026-11-30. "
        "Crossed the 100% threshold by 2026-11-10 (before monitoring started on 2026-11-20; 2 earlier days "
        f"not stored yet; also crossed: 80% on {DAY}, 90% on 2026-11-08)."
    )
