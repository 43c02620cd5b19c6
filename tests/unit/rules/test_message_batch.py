"""A batch of notices of every kind in one message, word for word and field by field: the order they
are told in, the groups, the asides, the top spaces, and the JSON webhook's fields."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.messages import Message, alert_message, failure_message
from storyblok_traffic.rules.wording import WORDING
from tests.unit.rules.test_messages import DAY, DETAIL, alert, spike

JAN1, DEC31 = date(2026, 1, 1), date(2026, 12, 31)
YEAR80 = alert(
    period="year",
    period_start=JAN1,
    period_end=DEC31,
    threshold_pct=80.0,
    usage=9_000,
    usage_limit=10_000,
    crossed_on=date(2026, 11, 20),
)
YEAR90 = replace(YEAR80, threshold_pct=90.0, crossed_on=DAY)
MONTH = alert(threshold_pct=100.0)
FORECAST = replace(YEAR80, kind=st.FORECAST, threshold_pct=100.0, crossed_on=DAY, projected_on=date(2026, 12, 20))
NO_DATA = alert(
    kind=st.NO_DATA,
    period=st.DATA_PERIOD,
    period_start=date(2026, 11, 24),
    period_end=None,
    threshold_pct=0.0,
    usage=0,
    usage_limit=0,
)
SILENT = alert(
    kind=st.SILENT,
    period=st.MONITOR_PERIOD,
    period_start=st.NEVER,
    period_end=None,
    threshold_pct=0.0,
    usage=30,
    usage_limit=26,
    crossed_on=date(2026, 11, 25),
)
ORG_SPIKE = spike(
    {"amount": 90_000, "factor": 3.0, "spaces": [{"space_id": "12345", "extra": 40_000, "share": 80.0}]},
    period="organisation",
    usage=90_000,
    usage_limit=30_000,
)
SPACE_SPIKE = spike(DETAIL)
SMALL_SPIKE = spike({**DETAIL, "space_id": "777"}, period="space 777", usage=10_000, usage_limit=5_000)
TOP = {
    ("requests", "year", JAN1): [("12345", 6_000), ("777", 2_000)],
    ("requests", "month", date(2026, 11, 1)): [("12345", 500)],
}


def batch() -> Message:
    shuffled = [NO_DATA, SMALL_SPIKE, FORECAST, MONTH, SILENT, YEAR80, SPACE_SPIKE, ORG_SPIKE, YEAR90]
    return alert_message("acme", "requests", shuffled, TOP, unknown={MONTH.key: 2}, live_since=date(2026, 11, 22))


def test_every_kind_in_one_message_is_told_most_urgent_first_word_for_word():
    message = batch()
    assert message.subject == "Storyblok traffic: monitor silent for acme"
    assert message.text.splitlines() == [
        "Storyblok traffic: monitor silent for acme",
        "Where acme stands as of 2026-11-26 (monitoring started on 2026-11-22: what was reached before then is "
        "told once now, marked so).",
        "No usage check has completed for 30 hours (allowed: 26), the last one on 2026-11-25: until checks run "
        "again there are no usage alerts and no no-data notices. Look at the organisation's DAG in Airflow: "
        "paused, failing, or no scheduler running?",
        "Monthly request limit: 900 of 800 requests (112.5%) as of 2026-11-26 in the month 2026-11-01 to 2026-11-30. "
        "Crossed the 100% threshold by 2026-11-26 (2 earlier days not stored yet).",
        "Yearly request limit: 9,000 of 10,000 requests (90.0%) as of 2026-11-26 in the year 2026-01-01 to 2026-12-31. "
        "Crossed the 90% threshold on 2026-11-26 (also crossed: 80% on 2026-11-20 before monitoring started).",
        "The newest stored day is 2026-11-24, checked for 2026-11-26: check the fetch task and the Storyblok "
        "connection.",
        "The organisation used 90,000 requests on 2026-11-26, 3x its normal Thursday (30,000); above their own "
        "normal: space 12345 (+40,000, 80%).",
        "Space 12345 used 48,210 requests on 2026-11-26, 9.6x its normal Thursday (5,020); it is 71% of the "
        "organisation's excess.",
        "Space 777 used 10,000 requests on 2026-11-26, 9.6x its normal Thursday (5,000); it is 71% of the "
        "organisation's excess.",
        "Forecast: at the recent rate, usage reaches 100% of the yearly request limit on 2026-12-20, before the "
        "year 2026-01-01 to 2026-12-31 ends; 9,000 of 10,000 requests (90.0%) as of 2026-11-26.",
        "Top spaces by API requests this month: 12345 (55.6%).",  # in the order of their crossings
        "Top spaces by API requests this year: 12345 (66.7%), 777 (22.2%).",
    ]


def test_the_webhooks_fields_list_every_alert_in_the_same_order():
    data = batch().data
    assert (data["org"], data["limit_meter"], data["subject"]) == ("acme", "requests", batch().subject)
    assert [(a["period"], a["kind"], a["threshold"]) for a in data["alerts"]] == [
        ("monitor", "silent", 0.0),  # critical: the monitor silent, a limit reached
        ("month", "actual", 100.0),
        ("year", "actual", 90.0),  # warning: a threshold below 100%, no data
        ("year", "actual", 80.0),
        ("data", "no_data", 0.0),
        ("organisation", "spike", 0.0),  # info: spikes, forecasts
        ("space 12345", "spike", 0.0),
        ("space 777", "spike", 0.0),
        ("year", "forecast", 100.0),
    ]


def fields_of(period: str, threshold: float) -> dict[str, Any]:
    return next(a for a in batch().data["alerts"] if (a["period"], a["threshold"]) == (period, threshold))


def test_a_crossing_with_days_missing_has_its_top_spaces_and_the_days_it_lacks():
    assert fields_of("month", 100.0) == {
        "id": "month/2026-11-01/requests/actual/100",
        "period": "month",
        "kind": "actual",
        "meter": "requests",
        "event": "alarm",
        "threshold": 100.0,
        "usage": 900,
        "limit": 800,
        "percent": 112.5,
        "day": "2026-11-26",
        "crossed_on": "2026-11-26",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "forecast_date": None,
        "detail": None,
        "days_missing_before": 2,
        "before_monitoring": False,
        "spike": None,
        "bill": None,
        "top_spaces": [{"space_id": "12345", "usage": 500, "share": 55.6}],
        "top_assets": [],  # a request notice names no file
        "asset_days_missing": 0,
        "files_through": None,
    }


def test_a_crossing_before_monitoring_says_so_in_its_fields():
    year = fields_of("year", 80.0)
    assert (year["before_monitoring"], year["crossed_on"], year["days_missing_before"]) == (True, "2026-11-20", 0)
    assert year["top_spaces"] == [
        {"space_id": "12345", "usage": 6_000, "share": 66.7},
        {"space_id": "777", "usage": 2_000, "share": 22.2},
    ]
    forecast = next(a for a in batch().data["alerts"] if a["kind"] == "forecast")
    assert (forecast["forecast_date"], forecast["before_monitoring"]) == ("2026-12-20", False)


def test_an_organisations_spike_has_its_figures_under_spike_and_no_top_spaces():
    assert fields_of("organisation", 0.0) == {
        "id": "organisation/-/requests/spike/0",
        "period": "organisation",
        "kind": "spike",
        "meter": "requests",
        "event": "alarm",
        "threshold": 0.0,
        "usage": 90_000,
        "limit": 30_000,
        "percent": 300.0,
        "day": "2026-11-26",
        "crossed_on": "2026-11-26",
        "period_start": None,
        "period_end": None,
        "forecast_date": None,
        "detail": None,
        "days_missing_before": 0,
        "before_monitoring": False,
        "spike": {
            "series": "organisation",
            "space_id": None,
            "new": False,
            "since": "2026-11-26",
            "day": "2026-11-26",
            "weekday": "Thursday",
            "amount": 90_000,
            "normal": 30_000,
            "first_day_amount": 90_000,
            "factor": 3.0,
            "sigmas": None,
            "month_share": None,
            "org_excess_share": None,
            "spaces": ({"space_id": "12345", "extra": 40_000, "share": 80.0},),
            "month_limit_at_this_rate": None,
        },
        "bill": None,
        "top_spaces": [],
        "top_assets": [],
        "asset_days_missing": 0,
        "files_through": None,
    }


def test_a_no_data_notice_keeps_its_words_in_detail_and_has_no_percent():
    worded = replace(NO_DATA, detail="Days 2026-11-20 to 2026-11-22 are missing.")
    message = alert_message("acme", "requests", [worded], {})
    assert message.text.splitlines()[1:] == ["Days 2026-11-20 to 2026-11-22 are missing."]
    (only,) = message.data["alerts"]
    assert (only["detail"], only["percent"], only["period_start"]) == (worded.detail, None, "2026-11-24")


def test_a_limit_of_nothing_is_an_unknown_share_and_top_spaces_without_a_total_are_named_only():
    unknown = replace(MONTH, usage=0, usage_limit=0)
    message = alert_message("acme", "requests", [unknown], {("requests", "month", date(2026, 11, 1)): [("12345", 0)]})
    assert message.subject == "Storyblok traffic: acme has used an unknown share of its monthly request limit"
    assert message.text.splitlines()[-1] == "Top spaces by API requests this month: 12345."
    assert message.data["alerts"][0]["top_spaces"] == [{"space_id": "12345", "usage": 0, "share": None}]


@pytest.mark.parametrize(
    ("head", "subject"),
    [
        (YEAR90, "Storyblok traffic: acme has used 90.0% of its yearly request limit"),
        (replace(MONTH, notice=st.CLEAR), "Storyblok traffic: acme is back within its monthly request limit"),
        (FORECAST, "Storyblok traffic: acme is forecast to reach 100% of its yearly request limit on 2026-12-20"),
        (NO_DATA, "Storyblok traffic: no data for acme after 2026-11-24"),
        (replace(NO_DATA, period_start=st.NEVER), "Storyblok traffic: no data for acme"),
        (replace(SILENT, notice=st.CLEAR), "Storyblok traffic: monitor back for acme"),
        (alert(kind=st.DISAGREE, period="year"), "Storyblok traffic: figures disagree for acme"),
        (ORG_SPIKE, f"Storyblok traffic: traffic spike in acme on {DAY}"),
        (replace(SPACE_SPIKE, notice=st.CLEAR), "Storyblok traffic: space 12345 of acme is back to normal"),
    ],
)
def test_the_subject_of_each_kind(head: st.Alert, subject: str):
    assert WORDING[head.kind].subject("acme", head) == subject


def test_the_lines_of_clears_and_disagreements():
    clear = replace(MONTH, notice=st.CLEAR, usage=700_049_000_000, usage_limit=1_000 * 10**9, meter="bytes")
    assert alert_message("acme", "requests", [clear], {}).text.splitlines()[1] == (
        "Back within the monthly bandwidth limit: 700.0 GB of 1,000 GB (70.0%) as of 2026-11-26, below the 100% "
        "threshold notified before (the limit in force changed)."
    )
    back = replace(SILENT, notice=st.CLEAR)
    assert alert_message("acme", "requests", [back], {}).text.splitlines()[1] == (
        "Usage checks completed again on 2026-11-26; they had stopped after 2026-11-25."
    )
    disagree = alert(kind=st.DISAGREE, period="year", detail="Set `limit_meter: bytes`.")
    assert alert_message("acme", "requests", [disagree], {}).text.splitlines()[1] == (
        "Set `limit_meter: bytes`. (Storyblok's figure as of 2026-11-26.)"
    )
    none_stored = replace(NO_DATA, period_start=st.NEVER)
    assert alert_message("acme", "requests", [none_stored], {}).text.splitlines()[1] == (
        "No traffic is stored, checked for 2026-11-26: check the fetch task and the Storyblok connection."
    )


def test_a_failure_message():
    assert failure_message("the fetch failed") == Message(
        subject="Storyblok traffic pipeline failed", text="the fetch failed", data={"event": "pipeline_failed"}
    )


def test_a_spike_back_to_normal_repeats_how_it_began():
    back = replace(SPACE_SPIKE, notice=st.CLEAR, as_of=date(2026, 11, 28), usage=5_100)
    assert alert_message("acme", "requests", [back], {}).text.splitlines()[1] == (
        "Space 12345 is back to normal: 5,100 requests on 2026-11-28, its normal Saturday being 5,020 (the spike "
        "began on 2026-11-26 with 48,210 requests, 9.6x its normal)."
    )
    from_nothing = spike({"space_id": "12345", "amount": 900, "factor": None}, notice=st.CLEAR, usage=0)
    assert alert_message("acme", "requests", [from_nothing], {}).text.splitlines()[1] == (
        "Space 12345 is back to normal: 0 requests on 2026-11-26, its normal Thursday being 5,020 (the spike "
        "began on 2026-11-26 with 900 requests)."
    )
    old_row = spike({"space_id": "12345"}, notice=st.CLEAR)  # a row from before the first day's figures
    assert (
        alert_message("acme", "requests", [old_row], {})
        .text.splitlines()[1]
        .endswith("(the spike began on 2026-11-26).")
    )


def test_a_spike_that_reaches_the_monthly_limit_on_its_own_day_says_it_is_already_reached():
    today = spike(DETAIL, projected_on=DAY)
    assert (
        alert_message("acme", "requests", [today], {})
        .text.splitlines()[1]
        .endswith("At this rate the monthly limit is already reached.")
    )
    fields = alert_message("acme", "requests", [today], {}).data["alerts"][0]["spike"]
    assert fields["month_limit_at_this_rate"] == DAY.isoformat()


def test_a_plain_crossing_has_no_aside_and_a_threshold_of_the_same_day_no_day():
    plain = alert_message("acme", "requests", [MONTH], {}).text.splitlines()[1]
    assert plain.endswith(f"Crossed the 100% threshold on {DAY}.")
    same_day = alert_message("acme", "requests", [MONTH, replace(MONTH, threshold_pct=80.0)], {})
    assert same_day.text.splitlines()[1].endswith(f"Crossed the 100% threshold on {DAY} (also crossed: 80%).")


def test_a_crossing_on_the_first_live_day_is_not_before_monitoring():
    message = alert_message("acme", "requests", [MONTH], {}, live_since=DAY)
    assert message.data["alerts"][0]["before_monitoring"] is False
    assert not message.text.startswith("Where")


def test_no_data_comes_before_the_clears_and_disagreements_and_each_kind_sorts_after_the_ranked_ones():
    disagree = alert(kind=st.DISAGREE, period="year", period_start=JAN1, threshold_pct=0.0, detail="Set it.")
    cleared = replace(MONTH, notice=st.CLEAR)
    message = alert_message("acme", "requests", [cleared, disagree, NO_DATA], TOP)
    assert [a["kind"] for a in message.data["alerts"]] == ["no_data", "disagree", "actual"]
    assert message.data["alerts"][1]["top_spaces"] == []  # the year's top spaces belong to its crossings


def test_spikes_are_told_the_organisations_first_then_by_their_excess_over_normal():
    small_org = replace(ORG_SPIKE, usage=31_000)  # 1,000 over its normal
    big_excess = spike({**DETAIL, "space_id": "1"}, period="space 1", usage=10_000, usage_limit=1_000)
    big_normal = spike({**DETAIL, "space_id": "2"}, period="space 2", usage=12_000, usage_limit=8_000)
    message = alert_message("acme", "requests", [big_normal, big_excess, small_org], {})
    assert [a["period"] for a in message.data["alerts"]] == ["organisation", "space 1", "space 2"]


def test_a_spikes_report_line_without_its_first_days_figures():
    old_row = replace(spike({}), detail=None)  # a row written before the figures were kept
    assert WORDING[st.SPIKE].report_line(old_row) == f"space 12345: spike from {DAY} (pending)"
    new_without_amount = spike({"new": True}, period="new space 9", usage=4_000)
    assert WORDING[st.SPIKE].report_line(new_without_amount) == f"new space 9: 4,000 on {DAY} (pending)"


def test_with_a_dashboard_url_a_message_links_to_its_view_and_slack_gets_a_button():
    from storyblok_traffic.notifications.senders import SLACK_SECTION_CHARS, slack_payload
    from storyblok_traffic.rules.messages import notice_message

    plain = notice_message("acme", "requests", [YEAR80])
    assert (plain.link, slack_payload(plain)) == (None, {"text": plain.text})
    linked = notice_message("acme & co", "requests", [YEAR80], "https://airflow.example.com/")
    link = "https://airflow.example.com/plugin/storyblok-usage?org=acme+%26+co&as_of=2026-11-26"
    assert (linked.link, linked.data["url"]) == (link, link)
    assert linked.text == f"{plain.text.replace('acme', 'acme & co')}\nDashboard: {link}"
    payload = slack_payload(linked)
    assert payload["text"] == linked.text  # the notification and the fallback
    [section, actions] = payload["blocks"]
    assert section["text"] == {"type": "plain_text", "text": linked.text.removesuffix(f"\nDashboard: {link}")}
    assert actions["elements"][0]["url"] == link
    long = replace(linked, text="\n".join(["x" * 100] * 70) + f"\nDashboard: {link}")  # 7,069 characters
    sections = [b["text"]["text"] for b in slack_payload(long)["blocks"] if b["type"] == "section"]
    assert len(sections) == 3
    assert max(len(s) for s in sections) <= SLACK_SECTION_CHARS
    assert "\n".join(sections) == "\n".join(["x" * 100] * 70)


def test_a_message_that_names_one_space_links_to_the_view_with_that_space_marked():
    from storyblok_traffic.rules.messages import notice_message

    url = "https://airflow.example.com"
    spike_only = notice_message("acme", "requests", [SPACE_SPIKE], url)
    assert spike_only.link == f"{url}/plugin/storyblok-usage?org=acme&as_of=2026-11-26&space=12345"
    with_crossing = notice_message("acme", "requests", [SPACE_SPIKE, YEAR80], url)
    assert with_crossing.link is not None
    assert with_crossing.link.endswith("&space=12345")
    two = notice_message("acme", "requests", [SPACE_SPIKE, SMALL_SPIKE], url)
    assert two.link == f"{url}/plugin/storyblok-usage?org=acme&as_of=2026-11-26"  # two: none marked
