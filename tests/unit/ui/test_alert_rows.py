"""The dashboard's alert table (pure): what is open now first, then what was resolved, then what was quiet."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from storyblok_traffic.evaluation.figures import alert_rows
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.routes import Routing

AS_OF = date(2026, 12, 2)


def alert(**kw: object) -> st.Alert:
    base = st.Alert(
        org="acme",
        period="month",
        period_start=date(2026, 12, 1),
        kind=st.ACTUAL,
        threshold_pct=80.0,
        period_end=date(2026, 12, 31),
        crossed_on=date(2026, 12, 2),
        as_of=date(2026, 12, 2),
        usage=900,
        usage_limit=1000,
        projected_on=None,
        status=st.SENT,
        notice=st.ALARM,
        notice_seq=1,
        evaluated_on=date(2026, 12, 2),
    )
    kw.setdefault("meter", "requests" if kw.get("kind", st.ACTUAL) in (st.ACTUAL, st.FORECAST, st.SPIKE) else "")
    return replace(base, **kw)  # type: ignore[arg-type]


def test_open_rows_lead_then_resolved_then_quiet_and_a_spike_starts_on_its_first_day():
    november = dict(period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), crossed_on=date(2026, 11, 20))
    rows = [
        alert(**november),  # sent, but its month has ended: resolved
        alert(status=st.SUPPRESSED, **november, threshold_pct=100.0),  # quiet history
        alert(kind=st.FORECAST, threshold_pct=100.0, projected_on=date(2026, 12, 24), status=st.PENDING),
        alert(period="year", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), threshold_pct=90.0),
        alert(
            period="space 7",
            period_start=st.NEVER,
            period_end=None,
            kind=st.SPIKE,
            threshold_pct=0.0,
            crossed_on=date(2026, 11, 29),
        ),
        alert(period="space 8", period_start=st.NEVER, period_end=None, kind=st.SPIKE, status=st.CLEARED),
    ]
    delivered = {rows[0].key: ["slack"], rows[3].key: ["slack"], rows[4].key: ["slack"]}
    table = alert_rows(rows, delivered, AS_OF, AS_OF, Routing(default=("slack",)))
    assert [(r.period, r.kind, r.group) for r in table] == [
        ("year", "actual", "open"),
        ("space 7", "spike", "open"),
        ("month", "forecast", "open"),
        ("month", "actual", "resolved"),
        ("space 8", "spike", "quiet"),  # cleared and never delivered: recorded quietly (newest first)
        ("month", "actual", "quiet"),
    ]
    spike = next(r for r in table if r.period == "space 7")
    assert spike.period_start == "2026-11-29"  # the episode's first day, never 1970-01-01
    assert all(r.period_start != "1970-01-01" for r in table)


def test_the_page_heads_the_folded_history_in_the_reports_words():
    from importlib.resources import files

    from storyblok_traffic.rules.quiet_history import HEADING

    page = files("storyblok_traffic.ui").joinpath("page.html").read_text()
    assert f"{HEADING}:</p>" in page
    assert "q.line" in page  # each period's line as the API folds it, not folded again by the page
