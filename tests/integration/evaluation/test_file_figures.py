"""A bandwidth notice names the files behind its bytes, read from a real Postgres when it becomes due:
the right file and share over the period, the days whose files are missing, a spike day's files against
their own usual day; and the check says which day's files are not stored."""

from __future__ import annotations

from datetime import date, timedelta

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.evaluation.told import files_of
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.warehouse.engine import begin
from tests.integration.pipeline import SLACK, run
from tests.unit.rules.test_messages import alert

GB = 1_000_000_000
ORG = OrgConfig(
    conn_id="sb",
    org="acme",
    limit_meter="bytes",
    yearly_thresholds=(),
    monthly_thresholds=(100.0,),
    forecast_thresholds=(),
    spike_factor=0,
)
VIDEO = ("https://a.storyblok.com/f/100007/1920x1080/launch.mp4", "video/mp4", 50_000_000)
LOGO = ("https://a.storyblok.com/f/100007/200x80/logo.png", "image/png", 20_000)


def test_a_bandwidth_crossing_names_the_file_that_carries_it_and_the_day_whose_files_are_missing(
    history, receiver, schema
):
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,))
    history.limit("acme", date(2026, 11, 1), 100 * GB)
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(4)]
    history.meters("acme", {d: (1_000, 30 * GB) for d in days})
    for d in days[:3]:  # the fourth day's files are not stored: its file load failed
        history.files("acme", d, {1: (*LOGO, 1 * GB), 2: (*VIDEO, 20 * GB)})
    notes = [run(d, ORG, config, today=d).notes for d in days]
    assert not any("files" in n for n in notes[2])
    assert "the files served on 2026-11-04 are not stored (load_assets did not complete)" in " ".join(notes[3])
    [text] = receiver.texts()
    lines = text.splitlines()
    start = lines.index(
        "Files behind the most bandwidth in the month from 2026-11-01 to 2026-11-04 (1 day of it with no file stored):"
    )
    assert lines[start + 1].startswith(
        "- launch.mp4 (space 100007, video/mp4, 50.0 MB): 60.0 GB, served about 1,200 times, 50.0% of the bandwidth; "
        "a video"
    )
    assert lines[start + 2].startswith("- logo.png (space 100007, image/png, 20 kB): 3.0 GB, served about 150,000")


def test_files_are_named_through_the_newest_day_whose_bytes_are_counted(history, engine, schema):
    """The notice's day has no bandwidth counted yet (Storyblok's files answer for it is empty): the files are
    named through the day before, and that day is no day "with no file stored"."""
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(4)]
    history.meters("acme", {d: (1_000, 40 * GB) for d in days[:3]} | {days[3]: (1_000, None)})
    for d in days[:3]:
        history.files("acme", d, {2: (*VIDEO, 30 * GB)})
    history.files("acme", days[3], {})  # answered before the day's bytes were counted: no file
    forecast = alert(kind=st.FORECAST, meter="bytes", period_start=days[0], as_of=days[3], usage=120 * GB)
    with begin(engine, schema) as conn:
        uses, missing, through = files_of(conn, ORG, forecast)
    assert [(u.name, u.total_bytes) for u in uses] == [("launch.mp4", 90 * GB)]
    assert (missing, through) == (0, days[2])


def test_a_spike_days_files_are_told_against_their_own_usual_weekday(history, engine, schema):
    day = date(2026, 11, 26)
    history.meters("acme", {day - timedelta(days=7 * weeks): (1_000, 50 * GB) for weeks in range(9)})  # counted
    for weeks in range(1, 9):  # eight Thursdays before: the video served 2, 4, .. GB, the logo nothing
        history.files("acme", day - timedelta(days=7 * weeks), {2: (*VIDEO, 2 * weeks * GB)})
    history.files("acme", day, {1: (*LOGO, 1 * GB), 2: (*VIDEO, 45 * GB)})
    spike = alert(kind=st.SPIKE, period="organisation", period_start=st.NEVER, meter="bytes", as_of=day)
    with begin(engine, schema) as conn:
        uses, missing, _ = files_of(conn, ORG, spike)
    assert [(u.name, u.total_bytes, u.usual_bytes) for u in uses] == [
        ("launch.mp4", 45 * GB, 9 * GB),  # the median of 2..16 GB
        ("logo.png", 1 * GB, 0),
    ]
    assert missing == 0
