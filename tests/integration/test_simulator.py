"""The simulator serves Storyblok's shape and quirks, deterministically."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from include.storyblok_simulator import ALL_TRAFFIC, SimulatorSettings, TrafficModel
from storyblok_traffic.model import parse_daily

TODAY = date(2026, 3, 10)


def model(**kwargs) -> TrafficModel:
    return TrafficModel(SimulatorSettings(today=TODAY, **kwargs))


def test_any_split_of_a_range_gives_the_same_rows():
    m = model()
    whole = m.all_traffic(date(2026, 1, 1), date(2026, 2, 28), "day")["traffic"]
    parts = (
        m.all_traffic(date(2026, 1, 1), date(2026, 1, 20), "day")["traffic"]
        + m.all_traffic(date(2026, 1, 21), date(2026, 2, 28), "day")["traffic"]
    )
    assert sorted(whole, key=lambda r: (r["space_id"], r["date"])) == sorted(
        parts, key=lambda r: (r["space_id"], r["date"])
    )


def test_shape_quirks_and_weekly_pattern():
    m = model()
    body = m.all_traffic(date(2026, 2, 1), date(2026, 2, 28), "day")
    assert "montly_traffic_limit" in body
    assert "monthly_traffic_limit" not in body
    assert body["yearly_traffic_limit"] == 12 * body["montly_traffic_limit"]
    assert "other_spaces" in body["traffic_top_spaces"]
    assert len(body["traffic_top_spaces"]) == 4
    org = {r["date"]: r["api_requests"] for r in body["cumulated_traffic"]["traffic"]}
    weekdays = [v for d, v in org.items() if date.fromisoformat(d).weekday() < 5]
    weekends = [v for d, v in org.items() if date.fromisoformat(d).weekday() >= 5]
    assert min(weekdays) > max(weekends)
    parse_daily(body, date(2026, 2, 1), date(2026, 2, 28))  # valid for our own parser


def test_recent_days_have_no_bytes_and_future_days_no_rows():
    body = model().all_traffic(TODAY - timedelta(days=3), TODAY + timedelta(days=2), "day")
    by_day = {r["date"]: r["total_bytes"] for r in body["cumulated_traffic"]["traffic"]}
    assert by_day[str(TODAY - timedelta(days=3))] is not None
    assert by_day[str(TODAY - timedelta(days=1))] is None
    assert max(by_day) == str(TODAY)


def test_traffic_grows_and_spaces_appear_over_time():
    m = model(spaces=10)
    early = m.all_traffic(date(2024, 1, 1), date(2024, 1, 31), "month")
    late = m.all_traffic(date(2026, 1, 1), date(2026, 1, 31), "month")
    assert (
        late["cumulated_traffic"]["traffic"][0]["api_requests"]
        > early["cumulated_traffic"]["traffic"][0]["api_requests"]
    )
    assert len({r["space_id"] for r in late["traffic"]}) > len({r["space_id"] for r in early["traffic"]})


def test_http_auth_and_validation(simulator):
    url = simulator.url + ALL_TRAFFIC
    good = {"Authorization": simulator.settings.token}
    params = {"start_date": "2026-03-01", "end_date": "2026-03-02", "group_by": "day"}
    assert requests.get(url, params=params, headers=good, timeout=5).status_code == 200
    assert requests.get(url, params=params, timeout=5).status_code == 401
    bearer_personal = {"Authorization": f"Bearer {simulator.settings.token}"}
    assert requests.get(url, params=params, headers=bearer_personal, timeout=5).status_code == 401
    bad = requests.get(url, params={**params, "group_by": "week"}, headers=good, timeout=5)
    assert (bad.status_code, "group_by" in bad.json()["error"]) == (422, True)
    assert requests.get(simulator.url + "/v1/nothing", headers=good, timeout=5).status_code == 404


def test_http_rate_limit(simulator):
    url = simulator.url + ALL_TRAFFIC
    statuses = [
        requests.get(url, headers={"Authorization": simulator.settings.token}, timeout=5).status_code for _ in range(20)
    ]
    assert 429 in statuses


def test_spaces_can_spike_each_for_its_own_few_recent_days():
    ago = [TODAY - timedelta(days=n) for n in range(7)]
    steady, spiking = model(spaces=6), model(spaces=6, spikes=((3, ago[6], ago[4]), (1, ago[2], ago[1])))
    for days_ago in range(1, 10):
        day = TODAY - timedelta(days=days_ago)
        calm = {space: req for space, req, _ in steady.day_rows(day)}
        jumpy = {space: req for space, req, _ in spiking.day_rows(day)}
        jumped = {space for space in calm if jumpy[space] != calm[space]}
        expected = {100_021} if 4 <= days_ago <= 6 else {100_007} if days_ago <= 2 else set()
        assert jumped == expected, days_ago
        for space in jumped:
            assert jumpy[space] == pytest.approx(6 * calm[space], rel=0.01)


def test_bytes_per_request_vary_by_space_within_the_range_set():
    """The bandwidth meter: each space serves its own bytes per request (an asset-heavy site far more
    than its JSON), within the range set, so an organisation can pass its bandwidth before its requests."""
    m = model(bytes_per_request=(350_000, 1_100_000))
    rows = m.all_traffic(date(2026, 2, 1), date(2026, 2, 28), "day")["traffic"]
    per_space: dict[str, list[float]] = {}
    for r in rows:
        per_space.setdefault(r["space_id"], []).append(r["total_bytes"] / r["api_requests"])
    means = {space: sum(ratios) / len(ratios) for space, ratios in per_space.items()}
    assert all(350_000 * 0.9 <= ratio <= 1_100_000 * 1.1 for ratios in per_space.values() for ratio in ratios)
    assert max(means.values()) > 1.3 * min(means.values())  # spaces differ
    default = model().all_traffic(date(2026, 2, 1), date(2026, 2, 28), "day")["traffic"]
    assert max(r["total_bytes"] / r["api_requests"] for r in default) < 58_000 * 1.1


def test_faults_drawn_by_rate_are_served_and_counted_by_kind():
    from include.storyblok_simulator import CHAOS_KINDS, StoryblokSimulator

    rates = (("429 Retry-After", 0.1), ("429 bare", 0.1), ("503", 0.1), ("truncated", 0.1), ("401", 0.1))
    sim = StoryblokSimulator(SimulatorSettings(today=TODAY, fault_rates=rates, requests_per_second=1000)).start()
    try:
        seen: dict[str, int] = dict.fromkeys(CHAOS_KINDS, 0)
        params = {"start_date": "2026-03-01", "end_date": "2026-03-02", "group_by": "day"}
        with requests.Session() as session:
            for _ in range(300):
                try:
                    answer = session.get(
                        sim.url + ALL_TRAFFIC, params=params, headers={"Authorization": sim.settings.token}
                    )
                except requests.exceptions.ChunkedEncodingError:  # the answer cut short
                    seen["truncated"] += 1
                    session.close()
                    continue
                kind = {429: "429 bare", 503: "503", 401: "401"}.get(answer.status_code)
                if answer.status_code == 429 and answer.headers.get("Retry-After") == "1":
                    kind = "429 Retry-After"
                if kind:
                    seen[kind] += 1
                else:
                    assert answer.status_code == 200
                    parse_daily(answer.content, date(2026, 3, 1), date(2026, 3, 2))  # whole and valid
    finally:
        sim.stop()
    assert seen == sim.injected
    assert all(15 <= seen[kind] <= 45 for kind, _ in rates)  # about 30 each in 300 requests
    assert seen["slow"] == 0


def test_a_few_files_carry_most_of_the_bytes_and_each_listed_file_was_served_at_least_once():
    files = TrafficModel(SimulatorSettings(today=date(2026, 3, 31), spaces=20))
    month = files.assets_traffic(date(2026, 3, 1), date(2026, 3, 29))
    sizes = sorted((a["total_bytes"] for a in month), reverse=True)
    assert sum(sizes[: len(sizes) // 10]) > 0.5 * sum(sizes)  # the top tenth of the files: more than half the bytes
    day = files.assets_traffic(date(2026, 3, 5), date(2026, 3, 5))
    assert all(a["total_bytes"] >= a["content_length"] for a in day)
    assert {a["content_type"] for a in month} >= {"video/mp4", "image/png", "application/pdf"}
    assert any(a["deleted_at"] for a in month)
    assert any(a["is_private"] for a in month)
    # the files serve part of their spaces' bytes, never more
    assert sum(a["total_bytes"] for a in day) < sum(size or 0 for _, _, size in files.day_rows(date(2026, 3, 5)))


def test_the_demos_launch_film_is_the_file_behind_most_of_the_bandwidth():
    from include.demo import DemoCalendar, simulation

    files = TrafficModel(simulation(DemoCalendar(date(2026, 3, 31)), date(2026, 3, 31)))
    month = sorted(files.assets_traffic(date(2026, 3, 1), date(2026, 3, 29)), key=lambda a: -a["total_bytes"])
    film, runner_up = month[0], month[1]
    assert (film["content_type"], film["filename"].rsplit("/", 1)[-1]) == ("video/mp4", "launch-film.mp4")
    assert film["space_id"] == files.spaces[0][0]  # the largest space's busiest page links it
    assert film["total_bytes"] > 2 * runner_up["total_bytes"]
    bandwidth = sum(size or 0 for d in range(29) for _, _, size in files.day_rows(date(2026, 3, 1) + timedelta(days=d)))
    assert film["total_bytes"] > 0.15 * bandwidth
