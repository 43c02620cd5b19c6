"""A bandwidth notice names the files behind its bytes, from the figures stored with it: word for word in
the text, field by field for the JSON webhook; a request notice names none."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from msgspec.structs import replace as changed

from storyblok_traffic.rules import told
from storyblok_traffic.rules.asset_use import AssetUse
from storyblok_traffic.rules.messages import notice_message
from tests.unit.rules.test_messages import DAY, DETAIL, alert, spike

GB = 1_000_000_000
VIDEO = AssetUse(
    asset_id=7,
    filename="https://a.storyblok.com/f/100007/x/launch.mp4",
    space_id="100007",
    content_type="video/mp4",
    content_length=50_000_000,
    is_private=False,
    deleted=False,
    total_bytes=300 * GB,
)
LOGO = changed(VIDEO, asset_id=8, filename="f/logo.png", content_type="image/png", content_length=2_000, total_bytes=GB)


def stored(a, files: tuple[AssetUse, ...], missing: int = 0, through=None):
    figures = told.Figures(limit_meter="bytes", top_assets=files, asset_days_missing=missing, files_through=through)
    return replace(a, figures=told.stored(figures))


def test_a_bandwidth_crossing_names_its_files_with_share_times_served_and_hints():
    month = stored(alert(meter="bytes", usage=400 * GB, usage_limit=400 * GB), (VIDEO, LOGO), missing=1)
    message = notice_message("acme", "bytes", [month])
    lines = message.text.splitlines()
    start = lines.index(
        f"Files behind the most bandwidth in the month from 2026-11-01 to {DAY} (1 day of it with no file stored):"
    )
    assert lines[start + 1] == (
        "- launch.mp4 (space 100007, video/mp4, 50.0 MB): 300.0 GB, served about 6,000 times, 75.0% of the "
        "bandwidth; a video: every view downloads it from Storyblok; host it on a video service and embed that"
    )
    assert (
        lines[start + 2]
        == "- logo.png (space 100007, image/png, 2 kB): 1.0 GB, served about 500,000 times, 0.2% of the bandwidth"
    )
    [fields] = message.data["alerts"]
    assert [f["filename"] for f in fields["top_assets"]] == [VIDEO.filename, LOGO.filename]
    assert (fields["top_assets"][0]["share"], fields["top_assets"][0]["times_served"]) == (75.0, 6_000)
    assert fields["top_assets"][0]["hints"][0].startswith("a video")
    assert fields["asset_days_missing"] == 1


def test_the_files_are_named_through_the_newest_day_whose_bytes_are_counted():
    """The notice's day has no bytes counted yet: its files' range ends the day before, and says so."""
    counted = DAY - timedelta(days=1)
    month = stored(
        alert(kind="forecast", meter="bytes", usage=300 * GB, usage_limit=400 * GB), (VIDEO,), through=counted
    )
    message = notice_message("acme", "bytes", [month])
    assert f"Files behind the most bandwidth in the month from 2026-11-01 to {counted}:" in message.text.splitlines()
    [fields] = message.data["alerts"]
    assert fields["files_through"] == str(counted)


def test_a_bandwidth_spike_names_its_days_files_against_their_usual_day():
    day_spike = stored(
        spike(DETAIL, meter="bytes", usage=100 * GB, usage_limit=20 * GB),
        (changed(VIDEO, total_bytes=80 * GB, usual_bytes=10 * GB),),
    )
    text = notice_message("acme", "bytes", [day_spike]).text
    assert f"Files behind the most bandwidth on {DAY} in space 12345:" in text
    assert "80.0 GB, served about 1,600 times, 80.0% of the bandwidth, 8.0x its usual day (10.0 GB)" in text


def test_a_bandwidth_notice_without_stored_files_names_none_and_a_request_notice_names_none():
    month = stored(alert(meter="bytes", usage=400 * GB, usage_limit=400 * GB), (), missing=5)
    assert "file" not in notice_message("acme", "bytes", [month]).text  # a failed file load is told as an incident
    requests = notice_message("acme", "requests", [alert()])
    assert "file" not in requests.text
    assert requests.data["alerts"][0]["top_assets"] == []
