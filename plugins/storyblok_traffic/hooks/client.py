"""StoryblokClient: requests to the Management API with the throttle and the retries, without Airflow.

The hook builds one from its Airflow connection; the bulk load's own benchmark and any script use it
directly with ``StoryblokConnectionSettings``, without importing Airflow (about 100 MB less memory).
"""

from __future__ import annotations

import logging
import time
from datetime import date
from functools import cached_property
from typing import Any, Protocol

import requests

from storyblok_traffic import __version__
from storyblok_traffic.errors import (
    StoryblokAnswerTooLarge,
    StoryblokRequestRejected,
    StoryblokUnavailable,
    without_secret,
)
from storyblok_traffic.hooks.connection import StoryblokConnectionSettings
from storyblok_traffic.hooks.retry import RETRYABLE_STATUSES, RetryPolicy
from storyblok_traffic.hooks.throttle import Throttle, shared_throttle

ALL_TRAFFIC_ENDPOINT = "/v1/orgs/me/statistics/all_traffic"
ASSETS_TRAFFIC_ENDPOINT = "/v1/orgs/me/statistics/assets_traffic"
# Assets asked per page: the Management API's lists page by ``per_page``; a server that pages by fewer
# says so in its Per-Page header, which the following pages follow.
ASSETS_PER_PAGE = 1000
GROUP_BY = ("day", "month", "year")
CONNECT_TIMEOUT = 5.0

_HINTS = {
    400: "the request was malformed",
    # The connection form's names for its fields (provider_info.py): what a reader of the message sees.
    401: "the Access token is missing, wrong or expired: check the connection's Access token",
    403: "the Access token may not read organisation statistics: use a personal access token of an "
    "organisation owner or admin",
    404: "the endpoint was not found: check the connection's Region or API root override",
    422: "a parameter was rejected",
}


class RetryLog(Protocol):
    """Where retries are told: a stdlib logger, or the hook's Airflow logger."""

    def warning(self, msg: str, /, *args: Any) -> Any: ...


class StoryblokClient:
    """Every request goes through ``run``, which keeps to the throttle and retries transient failures.

    :param settings: where to send requests and with which token.
    :param timeout: (connect, read) timeouts in seconds; defaults to 5 s and the settings' read timeout.
    :param retry: how transient failures (429, 5xx, network) are retried.
    :param requests_per_second: client-side rate; defaults to the settings'.
    :param log: where retries are logged (the hook passes its own).
    """

    def __init__(
        self,
        settings: StoryblokConnectionSettings,
        *,
        timeout: tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        requests_per_second: float | None = None,
        log: RetryLog | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout or (CONNECT_TIMEOUT, settings.read_timeout)
        self.retry = retry or RetryPolicy()
        self.requests_per_second = requests_per_second or settings.requests_per_second
        self.log: RetryLog = log or logging.getLogger(__name__)

    @cached_property
    def throttle(self) -> Throttle:
        return shared_throttle(self.settings.limit_key, self.requests_per_second)

    @cached_property
    def session(self) -> requests.Session:
        """The Authorization header and nothing from the connection's extras."""
        session = requests.Session()
        session.headers.update(
            {
                "Authorization": self.settings.authorization,
                "Accept": "application/json",
                "User-Agent": f"storyblok-traffic-monitor/{__version__}",
            }
        )
        return session

    def get_all_traffic(self, start_date: date, end_date: date, group_by: str = "day") -> requests.Response:
        """``GET /v1/orgs/me/statistics/all_traffic`` for the inclusive date range."""
        if group_by not in GROUP_BY:
            raise ValueError(f"group_by {group_by!r} must be one of {', '.join(GROUP_BY)}")
        if end_date < start_date:
            raise ValueError(f"end_date {end_date} is before start_date {start_date}")
        params = {"start_date": start_date.isoformat(), "end_date": end_date.isoformat(), "group_by": group_by}
        return self.run(ALL_TRAFFIC_ENDPOINT, params)

    def get_assets_traffic(
        self, start_date: date, end_date: date, page: int = 1, per_page: int = ASSETS_PER_PAGE
    ) -> requests.Response:
        """``GET /v1/orgs/me/statistics/assets_traffic``: the bytes each asset served in the inclusive range,
        one page of them (a server that does not page answers every asset and ignores ``page``)."""
        if end_date < start_date:
            raise ValueError(f"end_date {end_date} is before start_date {start_date}")
        if page < 1 or per_page < 1:
            raise ValueError(f"page {page} and per_page {per_page} must be 1 or more")
        params = {"start_date": start_date.isoformat(), "end_date": end_date.isoformat()}
        return self.run(ASSETS_TRAFFIC_ENDPOINT, params | {"page": str(page), "per_page": str(per_page)})

    def run(self, endpoint: str, params: dict[str, str] | None = None) -> requests.Response:
        """GET ``endpoint`` (a path below the API root) with throttle and retries.

        Returns a 2xx response or raises a ``StoryblokError``.
        """
        url = f"{self.settings.base_url}/{endpoint.lstrip('/')}"
        deadline = time.monotonic() + self.retry.total_seconds
        last_problem = "no attempt made"
        for attempt in range(1, self.retry.max_attempts + 1):
            self.throttle.wait()
            try:
                # Streamed: the body is read up to the connection's bound, never a proxy's 2 GB page whole.
                response = self.session.get(url, params=params, timeout=self.timeout, stream=True)
                _read_bounded(response, self.settings.max_answer_mb, endpoint)
            except (requests.ConnectionError, requests.Timeout) as err:
                last_problem = f"{type(err).__name__} talking to {self.settings.base_url}"
                retry_after = None
            except requests.exceptions.ChunkedEncodingError:  # the connection closed mid-body: a network fault
                last_problem = f"the answer from {self.settings.base_url} was cut short"
                retry_after = None
            else:
                if response.status_code < 300:
                    return response
                if response.status_code not in RETRYABLE_STATUSES:
                    raise _rejected(response, endpoint, self.settings.token)
                last_problem = f"HTTP {response.status_code} {_error_text(response, self.settings.token)}"
                retry_after = response.headers.get("Retry-After")
            wait = self.retry.delay(attempt, retry_after)
            if attempt == self.retry.max_attempts or time.monotonic() + wait > deadline:
                break
            self.log.warning(
                "Storyblok %s failed (attempt %d of %d): %s; retrying in %.2f s",
                endpoint,
                attempt,
                self.retry.max_attempts,
                last_problem,
                wait,
            )
            time.sleep(wait)
        raise StoryblokUnavailable(
            f"Storyblok {endpoint} still failing after {attempt} attempt(s) within "
            f"{self.retry.total_seconds:.0f} s: {last_problem}"
        )


KEPT_BYTES = 65_536  # of an answer refused for its size, the start kept aside for diagnosis
_CHUNK = 1 << 16


def _read_bounded(response: requests.Response, max_mb: float, endpoint: str) -> None:
    """Read the body into ``response`` (``.content``, ``.json()`` as usual), stopping at ``max_mb``.

    A declared length past the bound is refused after its first ``KEPT_BYTES`` (kept for diagnosis); a
    body that grows past it (chunked, or a lying length) at the first chunk beyond. The connection is
    closed either way.
    """
    limit = int(max_mb * 1_000_000)
    declared = response.headers.get("Content-Length", "")
    over = declared.isdigit() and int(declared) > limit
    body = bytearray()
    try:
        for chunk in response.iter_content(_CHUNK):
            body += chunk
            if len(body) > (KEPT_BYTES if over else limit):  # past the bound: only its start is wanted
                break
        if over or len(body) > limit:
            size = f"{int(declared):,} bytes declared" if declared.isdigit() else f"more than {limit:,} bytes"
            raise StoryblokAnswerTooLarge(
                f"Storyblok's answer to {endpoint} is too large ({size}; the connection's max_answer_mb is "
                f"{max_mb:g}): refused, read no further",
                bytes(body[:KEPT_BYTES]),
            )
    finally:
        response.close()
    response._content = bytes(body)  # what requests itself keeps once a body is read


def _error_text(response: requests.Response, secret: str) -> str:
    """Storyblok's error bodies: {"error": ...}, {"errors": ...}, a list of strings or a field map.

    The token is blanked: an error page may quote the request it refused.
    """
    try:
        body = response.json()
    except ValueError:
        return without_secret((response.text or response.reason or "").strip(), secret)[:300]
    if isinstance(body, dict):
        body = body.get("error") or body.get("errors") or body
    if isinstance(body, list):
        body = "; ".join(str(item) for item in body)
    elif isinstance(body, dict):
        body = "; ".join(f"{key}: {value}" for key, value in body.items())
    return without_secret(str(body), secret)[:300]


def _rejected(response: requests.Response, endpoint: str, secret: str) -> StoryblokRequestRejected:
    status = response.status_code
    hint = _HINTS.get(status, "the request was refused")
    return StoryblokRequestRejected(
        status,
        f"Storyblok answered {status} {response.reason} for {endpoint}: {_error_text(response, secret)} ({hint})",
    )
