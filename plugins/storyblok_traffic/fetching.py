"""One statistics answer: requested, the token blanked, validated from its bytes (no Airflow).

``fetch_days`` asks ``all_traffic`` with ``group_by=day`` for a range, ``fetch_asset_day`` asks
``assets_traffic`` for one day, page after page when it is paged. The daily operator and the bulk
load both fetch through here; the operator turns the errors that retrying cannot fix into failures
without retries. An answer that is too large or invalid is kept aside (``Quarantine``), nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import TypeVar

import requests

from storyblok_traffic.assets import AssetDay, pages_text, paging, parse_asset_day
from storyblok_traffic.errors import StoryblokAnswerTooLarge, StoryblokPayloadError, body_without_secret
from storyblok_traffic.hooks.client import ASSETS_PER_PAGE, StoryblokClient
from storyblok_traffic.model import ALL_TRAFFIC, ASSETS_TRAFFIC, DailyTraffic, parse_daily
from storyblok_traffic.xcom import FetchedTraffic

# Keeps an invalid answer for diagnosis: (org, endpoint, first, last, error, body, received at) -> where it is kept.
Quarantine = Callable[[str, str, date, date, str, bytes, datetime], str]
T = TypeVar("T")


def fetch_days(
    client: StoryblokClient, org: str, first: date, last: date, quarantine: Quarantine | None = None
) -> tuple[FetchedTraffic, DailyTraffic]:
    """One request for ``first``..``last``, validated; raises a ``StoryblokError`` when it cannot be had.

    The answer is kept as its JSON text (``FetchedTraffic.payload``): it is stored as it came, never
    decoded into dicts and serialised again.
    """
    keep = _Keeper(quarantine, org, ALL_TRAFFIC, first, last)
    response = keep.request(client, lambda: client.get_all_traffic(first, last, group_by="day"))
    fetched_at = datetime.now(UTC)
    # An answer may quote the request, token included: the errors, XCom and tables get it blanked.
    body = body_without_secret(response.content, client.settings.token)
    daily = keep.validated(lambda: parse_daily(body, first, last), body, fetched_at)
    return FetchedTraffic(org, first, last, "day", fetched_at, body.decode("utf-8"), ALL_TRAFFIC), daily


def fetch_asset_day(
    client: StoryblokClient, org: str, day: date, quarantine: Quarantine | None = None
) -> tuple[FetchedTraffic, AssetDay]:
    """``assets_traffic`` for ``day``: every page, validated together; kept as the JSON array of the pages.

    The endpoint answers the bytes of a range summed per asset: one day per request keeps them per day.
    """
    keep = _Keeper(quarantine, org, ASSETS_TRAFFIC, day, day)
    token = client.settings.token
    first = keep.request(client, lambda: client.get_assets_traffic(day, day, page=1, per_page=ASSETS_PER_PAGE))
    bodies = [body_without_secret(first.content, token)]
    paged = keep.validated(lambda: paging(first.headers), bodies[0], datetime.now(UTC))
    pages, per_page = (paged.pages, paged.per_page) if paged else (1, ASSETS_PER_PAGE)
    for number in range(2, pages + 1):
        answer = keep.request(client, partial(client.get_assets_traffic, day, day, page=number, per_page=per_page))
        bodies.append(body_without_secret(answer.content, token))
    fetched_at = datetime.now(UTC)
    whole = pages_text(bodies)
    assets = keep.validated(lambda: parse_asset_day(whole, day, paged.total if paged else None), whole, fetched_at)
    return FetchedTraffic(org, day, day, "day", fetched_at, whole.decode("utf-8"), ASSETS_TRAFFIC), assets


class _Keeper:
    """One fetch's requests and validation: a refused or invalid answer is kept aside, and the error says where."""

    def __init__(self, quarantine: Quarantine | None, org: str, endpoint: str, first: date, last: date) -> None:
        self.quarantine = quarantine
        self.where = (org, endpoint, first, last)

    def request(self, client: StoryblokClient, call: Callable[[], requests.Response]) -> requests.Response:
        try:
            return call()
        except StoryblokAnswerTooLarge as err:  # kept aside as the rest are: its start, the token blanked
            message = self._kept(str(err), body_without_secret(err.head, client.settings.token), datetime.now(UTC))
            raise StoryblokAnswerTooLarge(message, b"") from None

    def validated(self, parse: Callable[[], T], body: bytes, received_at: datetime) -> T:
        try:
            return parse()
        except StoryblokPayloadError as err:
            raise StoryblokPayloadError(self._kept(str(err), body, received_at, "the answer")) from None

    def _kept(self, message: str, body: bytes, at: datetime, what: str = "its start") -> str:
        if self.quarantine is None:
            return message
        return message + f" ({what} is kept in {self.quarantine(*self.where, message, body, at)})"
