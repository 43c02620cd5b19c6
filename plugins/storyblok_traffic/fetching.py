"""One ``group_by=day`` answer: requested, the token blanked, validated from its bytes (no Airflow).

The daily operator and the bulk load both fetch through here; the operator turns the errors that
retrying cannot fix into failures without retries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from storyblok_traffic.errors import StoryblokAnswerTooLarge, StoryblokPayloadError, body_without_secret
from storyblok_traffic.hooks.client import StoryblokClient
from storyblok_traffic.model import DailyTraffic, parse_daily
from storyblok_traffic.xcom import FetchedTraffic

# Keeps an invalid answer for diagnosis: (org, first, last, error, body, received at) -> where it is kept.
Quarantine = Callable[[str, date, date, str, bytes, datetime], str]


def fetch_days(
    client: StoryblokClient, org: str, first: date, last: date, quarantine: Quarantine | None = None
) -> tuple[FetchedTraffic, DailyTraffic]:
    """One request for ``first``..``last``, validated; raises a ``StoryblokError`` when it cannot be had.

    The answer is kept as its JSON text (``FetchedTraffic.payload``): it is stored as it came, never
    decoded into dicts and serialised again.
    """
    try:
        response = client.get_all_traffic(first, last, group_by="day")
    except StoryblokAnswerTooLarge as err:  # kept aside as the rest are: its start, the token blanked
        message = str(err)
        if quarantine is not None:
            head = body_without_secret(err.head, client.settings.token)
            message += f" (its start is kept in {quarantine(org, first, last, message, head, datetime.now(UTC))})"
        raise StoryblokAnswerTooLarge(message, b"") from None
    fetched_at = datetime.now(UTC)
    # An answer may quote the request, token included: the errors, XCom and tables get it blanked.
    body = body_without_secret(response.content, client.settings.token)
    try:
        daily = parse_daily(body, first, last)
    except StoryblokPayloadError as err:
        message = str(err)
        if quarantine is not None:
            message += f" (the answer is kept in {quarantine(org, first, last, message, body, fetched_at)})"
        raise StoryblokPayloadError(message) from None
    return FetchedTraffic(org, first, last, "day", fetched_at, body.decode("utf-8")), daily
