"""Notice wording (pure): spike lines, and which month the top spaces belong to."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules import spike_lines
from storyblok_traffic.rules.messages import alert_message

DAY = date(2026, 11, 26)  # a Thursday


def alert(**kw: object) -> st.Alert:
    base = st.Alert(
        org="acme",
        period="month",
        period_start=date(2026, 11, 1),
        kind=st.ACTUAL,
        threshold_pct=100.0,
        period_end=date(2026, 11, 30),
        crossed_on=DAY,
        as_of=DAY,
        usage=900,
        usage_limit=800,
        projected_on=None,
        status=st.PENDING,
        notice=st.ALARM,
        notice_seq=1,
        evaluated_on=DAY,
    )
    kw.setdefault("meter", "requests" if kw.get("kind", st.ACTUAL) in (st.ACTUAL, st.FORECAST, st.SPIKE) else "")
    return replace(base, **kw)  # type: ignore[arg-type]


def spike(detail: dict[str, object], **kw: object) -> st.Alert:
    fields: dict[str, object] = {
        "period": "space 12345",
        "period_start": st.NEVER,
        "kind": st.SPIKE,
        "threshold_pct": 0.0,
        "period_end": None,
        "usage": 48_210,
        "usage_limit": 5_020,
        "detail": json.dumps(detail),
    }
    row = fields | kw
    # As a check writes it: a space's spike names its space in its own column.
    return alert(**row, space_id=kw.get("space_id", st.Series.of(str(row["period"])).space_id))


DETAIL = {"space_id": "12345", "new": False, "amount": 48_210, "factor": 9.6, "org_excess_share": 71.0, "spaces": []}


def test_a_space_spike_reads_at_a_glance():
    message = alert_message("acme", "requests", [spike(DETAIL, projected_on=date(2026, 12, 4))], {})
    assert message.subject == f"Storyblok traffic: traffic spike in space 12345 of acme on {DAY}"
    assert message.text.splitlines()[1] == (
        f"Space 12345 used 48,210 requests on {DAY}, 9.6x its normal Thursday (5,020); it is 71% of the "
        "organisation's excess. At this rate the monthly limit is reached on 2026-12-04."
    )
    [fields] = message.data["alerts"]
    assert fields["detail"] is None
    assert (fields["spike"]["factor"], fields["spike"]["normal"], fields["spike"]["weekday"]) == (
        9.6,
        5_020,
        "Thursday",
    )


def test_a_spike_from_a_normal_of_nothing_and_a_new_space():
    zero = spike({**DETAIL, "factor": None}, usage_limit=0)
    assert "where a normal Thursday has none; it is 71%" in alert_message("acme", "requests", [zero], {}).text
    new = spike({**DETAIL, "new": True, "factor": None, "org_excess_share": None}, period="new space 12345")
    message = alert_message("acme", "requests", [new], {})
    assert message.subject == f"Storyblok traffic: new space 12345 of acme used 48,210 on {DAY}"
    assert (
        message.text.splitlines()[1]
        == f"Space 12345 is new: 48,210 requests on {DAY}, with no traffic in the days before."
    )


def test_an_organisation_spike_names_its_spaces():
    org = spike(
        {
            **DETAIL,
            "space_id": None,
            "org_excess_share": None,
            "spaces": [
                {"space_id": "1", "extra": 3_000, "share": 60.0},
                {"space_id": "2", "extra": 1_500, "share": 30.0},
            ],
        },
        period=st.ORG_SERIES,
    )
    line = alert_message("acme", "requests", [org], {}).text.splitlines()[1]
    assert line.startswith("The organisation used 48,210 requests")
    assert line.endswith("above their own normal: space 1 (+3,000, 60%), space 2 (+1,500, 30%).")


def test_top_spaces_say_which_month_when_two_are_in_one_message():
    october = alert(period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    november = alert(kind=st.FORECAST, projected_on=date(2026, 11, 28))
    top = {
        ("requests", "month", date(2026, 10, 1)): [("a", 500)],
        ("requests", "month", date(2026, 11, 1)): [("b", 400)],
    }
    text = alert_message("acme", "requests", [october, november], top).text
    assert "Top spaces by API requests in the month from 2026-10-01: a (55.6%)." in text
    assert "Top spaces by API requests in the month from 2026-11-01: b (44.4%)." in text
    assert "Top spaces by API requests this month: a" in alert_message("acme", "requests", [october], top).text


def test_a_crossing_before_monitoring_started_is_told_as_the_state_now():
    year = alert(
        period="year",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        threshold_pct=90.0,
        crossed_on=date(2026, 11, 23),
        as_of=date(2026, 12, 2),
        usage=928,
        usage_limit=1000,
    )
    forecast = replace(
        year, kind=st.FORECAST, threshold_pct=100.0, crossed_on=date(2026, 12, 2), projected_on=date(2026, 12, 24)
    )
    message = alert_message("acme", "requests", [year, forecast], {}, live_since=date(2026, 11, 29))
    lines = message.text.splitlines()
    assert lines[1] == (
        "Where acme stands as of 2026-12-02 (monitoring started on 2026-11-29: what was reached before then is told "
        "once now, marked so)."
    )
    assert "Crossed the 90% threshold on 2026-11-23 (before monitoring started on 2026-11-29)." in lines[2]
    assert "reaches 100% of the yearly request limit on 2026-12-24" in lines[3]
    assert [a["before_monitoring"] for a in message.data["alerts"]] == [True, False]
    # A crossing after monitoring started reads as before.
    plain = alert_message("acme", "requests", [year], {}, live_since=date(2026, 11, 1)).text
    assert "monitoring" not in plain


def test_a_spike_says_what_share_of_the_month_its_excess_burnt_and_how_far_out_of_its_noise():
    message = alert_message("acme", "requests", [spike({**DETAIL, "month_share": 4.32, "sigmas": 7.5})], {})
    assert message.text.splitlines()[1] == (
        f"Space 12345 used 48,210 requests on {DAY}, 9.6x its normal Thursday (5,020); its excess burnt 4.32% "
        "of the monthly limit; it is 71% of the organisation's excess."
    )
    [fields] = message.data["alerts"]
    assert (fields["spike"]["month_share"], fields["spike"]["sigmas"]) == (4.32, 7.5)


def test_a_spike_row_written_before_a_figure_existed_still_reads():
    # rows from before sigmas and month_share were kept (and a factor stored as a whole number)
    old = spike({"space_id": "12345", "new": False, "amount": 48_210, "factor": 10})
    figures = spike_lines.figures(old)
    assert (figures.factor, figures.sigmas, figures.month_share, figures.spaces) == (10.0, None, None, ())
    assert "10x its normal Thursday (5,020)." in alert_message("acme", "requests", [old], {}).text
    written = spike_lines.SpikeDetail(space_id="7", amount=3, spaces=(spike_lines.SpaceShare("8", 2, 66.7),))
    assert spike_lines.figures(spike(json.loads(written.to_json()))) == written


def test_the_bill_is_said_once_after_the_notices_as_the_newest_crossing_found_it():
    bill = "The bill so far: USD 99.00 (base USD 99.00, no overage); projected at the month's end: USD 174.00."
    newer = "The bill so far: USD 174.00 (base USD 99.00, overage USD 75.00: bandwidth 1 block)."
    year = alert(period="year", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), detail=bill)
    month = alert(meter="bytes", usage=420 * 10**9, usage_limit=400 * 10**9, as_of=DAY, detail=newer)
    older = replace(year, as_of=DAY - timedelta(days=1), crossed_on=DAY - timedelta(days=1))
    lines = alert_message("acme", "requests", [older, month], {}).text.splitlines()
    assert lines[-1] == newer
    assert sum("The bill so far" in line for line in lines) == 1
    assert (
        alert_message("acme", "requests", [replace(year, detail=None)], {})
        .text.splitlines()[-1]
        .startswith("Yearly request limit:")
    )


def test_a_bandwidth_spike_says_so_in_gigabytes():
    detail = {"space_id": "12345", "amount": 48 * 10**9, "factor": 9.6, "month_share": 10.8}
    head = spike(detail, usage=48 * 10**9, usage_limit=5 * 10**9, meter="bytes")
    message = alert_message("acme", "requests", [head], {})
    assert message.subject == f"Storyblok traffic: bandwidth spike in space 12345 of acme on {DAY}"
    assert message.text.splitlines()[1].startswith(
        f"Space 12345 used 48.0 GB on {DAY}, 9.6x its normal Thursday (5.0 GB); its excess burnt 10.8% of the monthly"
    )
    assert message.data["alerts"][0]["meter"] == "bytes"


def test_a_spike_its_end_and_the_next_spike_in_one_message_are_three_lines_in_their_order():
    """A start and an end superseded before they went out travel with the row's next notice: each is told."""
    first = spike(DETAIL, notice_seq=1)
    end = replace(first, notice=st.CLEAR, notice_seq=2, as_of=DAY + timedelta(days=3), usage=5_100)
    later = DAY + timedelta(days=6)
    again = replace(first, notice_seq=3, crossed_on=later, as_of=later, usage=60_000)
    message = alert_message("acme", "requests", [again, end, first], {})
    assert message.subject == f"Storyblok traffic: traffic spike in space 12345 of acme on {DAY}"
    lines = message.text.splitlines()[1:]
    assert [line.split(" ")[2] for line in lines] == ["used", "is", "used"]
    assert (f"on {DAY}," in lines[0], "back to normal" in lines[1], f"on {later}," in lines[2]) == (True,) * 3
    assert [(a["event"], a["day"]) for a in message.data["alerts"]] == [
        ("alarm", str(DAY)),
        ("clear", str(DAY + timedelta(days=3))),
        ("alarm", str(later)),
    ]


def test_a_forecast_for_the_periods_last_day_says_so_not_before_it_ends():
    from storyblok_traffic.rules.wording import WORDING, Context

    last = alert(kind=st.FORECAST, projected_on=date(2026, 11, 30))
    line = WORDING[st.FORECAST].line(last, [], Context("requests", {}))
    assert "on 2026-11-30, the last day of the month 2026-11-01 to 2026-11-30;" in line
    earlier = WORDING[st.FORECAST].line(replace(last, projected_on=date(2026, 11, 29)), [], Context("requests", {}))
    assert "on 2026-11-29, before the month 2026-11-01 to 2026-11-30 ends;" in earlier
