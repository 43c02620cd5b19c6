"""A task's error names its incident's cause: by what it is, or what it was raised from."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException
from sqlalchemy.exc import OperationalError

from storyblok_traffic import errors
from storyblok_traffic.notifications.failure import cause_of
from storyblok_traffic.operators.fetch import FetchFailed
from storyblok_traffic.rules import incidents as i


def raised_from_none(inner: Exception) -> AirflowFailException:
    """As the backfill raises it: ``from None``, the Storyblok error kept only as the context."""
    try:
        try:
            raise inner
        except Exception as err:
            raise AirflowFailException(str(err)) from None
    except AirflowFailException as outer:
        return outer


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (errors.StoryblokRequestRejected(401, "401"), i.TOKEN_REJECTED),
        (errors.StoryblokRequestRejected(403, "403"), i.TOKEN_REJECTED),
        (errors.StoryblokRequestRejected(404, "404"), i.CONNECTION),
        (errors.StoryblokRequestRejected(422, "422"), i.BUG),
        (errors.StoryblokConnectionError("no token"), i.CONNECTION),
        (errors.StoryblokUnavailable("503"), i.API_UNAVAILABLE),
        (errors.StoryblokAnswerTooLarge("too large", b""), i.INVALID_ANSWER),
        (errors.WarehouseWaitTimeout("lock"), i.WAREHOUSE_UNREACHABLE),
        (OperationalError("SELECT 1", {}, Exception("connection refused")), i.WAREHOUSE_UNREACHABLE),
        (ZeroDivisionError("division by zero"), i.BUG),
        (FetchFailed("not asking", i.TOKEN_REJECTED, "fp"), i.TOKEN_REJECTED),
        (raised_from_none(errors.StoryblokRequestRejected(401, "401")), i.TOKEN_REJECTED),
        (raised_from_none(errors.StoryblokPayloadError("traffic: expected an array")), i.INVALID_ANSWER),
    ],
)
def test_the_cause_of_an_error(error, cause):
    assert cause_of(error) == cause
