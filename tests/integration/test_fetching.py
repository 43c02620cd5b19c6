"""``fetch_asset_day`` against the simulator over HTTP: paged and not, an invalid answer kept aside in a real
Postgres with nothing else written, the token blanked in what is kept."""

from __future__ import annotations

import json
from datetime import date
from math import ceil

import pytest
from sqlalchemy import select

from include.storyblok_simulator import ASSETS_TRAFFIC, Fault
from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.fetching import fetch_asset_day
from storyblok_traffic.hooks.client import ASSETS_PER_PAGE, StoryblokClient
from storyblok_traffic.hooks.connection import StoryblokConnectionSettings
from storyblok_traffic.model import ASSETS_TRAFFIC as ENDPOINT
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.migrations import migrate
from storyblok_traffic.warehouse.rejects import quarantine
from storyblok_traffic.warehouse.tables import rejected_responses

DAY = date(2026, 3, 5)  # the simulator's today is 2026-03-10: this day's bytes are in


def client(simulator) -> StoryblokClient:
    rate = float(simulator.settings.requests_per_second)  # the plan's rate: no request answered 429
    settings = StoryblokConnectionSettings("sim", simulator.url, "eu", simulator.settings.token, "personal", rate)
    return StoryblokClient(settings)


def served(simulator) -> dict[int, int]:
    return {a["id"]: a["total_bytes"] for a in simulator.model.assets_traffic(DAY, DAY)}


def test_an_unpaged_answer_is_one_request_and_kept_as_a_one_page_array(simulator):
    fetched, day = fetch_asset_day(client(simulator), "acme", DAY)
    assert {i: a.total_bytes for i, a in day.assets.items()} == served(simulator)
    assert len(day.assets) > 20  # heavy-tailed catalogues: many files, each served at least once
    [call] = simulator.calls(ASSETS_TRAFFIC)
    assert (call["query"]["page"], call["query"]["per_page"]) == (["1"], [str(ASSETS_PER_PAGE)])
    assert (fetched.endpoint, fetched.start_date, fetched.end_date) == (ENDPOINT, DAY, DAY)
    assert len(json.loads(str(fetched.payload))) == 1


def test_a_paged_answer_is_read_page_after_page_as_its_headers_say(simulator):
    simulator.settings.asset_page_size = 7  # pages of at most 7, whatever per_page asks
    fetched, day = fetch_asset_day(client(simulator), "acme", DAY)
    assert {i: a.total_bytes for i, a in day.assets.items()} == served(simulator)
    calls = simulator.calls(ASSETS_TRAFFIC)
    assert len(calls) == ceil(len(served(simulator)) / 7) == len(json.loads(str(fetched.payload)))
    assert [c["query"]["page"] for c in calls] == [[str(n)] for n in range(1, len(calls) + 1)]
    assert {c["query"]["per_page"][0] for c in calls[1:]} == {"7"}  # the server's Per-Page, followed


def test_an_invalid_answer_is_kept_aside_with_its_endpoint_and_the_token_blanked(simulator, engine, schema):
    migrate(engine, schema)
    token = simulator.settings.token
    bad = {"assets": [{"id": 1, "filename": f"quoted {token}", "space_id": 7, "total_bytes": -5}]}
    simulator.faults.append(Fault(status=200, body=bad))
    keep = quarantine(lambda: begin(engine, schema), schema)
    with pytest.raises(StoryblokPayloadError, match=rf"page 1: assets\.0\.total_bytes.*kept in {schema}"):
        fetch_asset_day(client(simulator), "acme", DAY, keep)
    with begin(engine, schema) as conn:
        [row] = conn.execute(select(rejected_responses)).mappings().all()
    assert (row["endpoint"], row["start_date"], row["end_date"]) == (ENDPOINT, DAY, DAY)
    assert "total_bytes" in row["error"]
    assert token not in row["body"]
    assert "quoted" in row["body"]


def test_pages_that_do_not_hold_what_total_announced_are_refused(simulator):
    simulator.faults.append(Fault(status=200, body={"assets": []}, headers={"Total": "3", "Per-Page": "1000"}))
    with pytest.raises(StoryblokPayloadError, match=r"announced 3 assets"):
        fetch_asset_day(client(simulator), "acme", DAY)
