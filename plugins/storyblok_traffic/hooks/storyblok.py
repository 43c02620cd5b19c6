"""StoryblokHook: transport to the Management API (auth, regions, timeouts, retries, throttle).

It builds a ``StoryblokClient`` from its Airflow connection and leaves parsing the body to the caller
(``storyblok_traffic.model``), as in the HTTP provider. It subclasses ``BaseHook`` rather than
``HttpHook``: the HTTP hook's public ``run`` would send requests around the throttle and the retries,
and its session builder turns every connection extra into a header.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any

import requests
from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from storyblok_traffic.hooks.client import (
    ALL_TRAFFIC_ENDPOINT,
    ASSETS_PER_PAGE,
    ASSETS_TRAFFIC_ENDPOINT,
    StoryblokClient,
)
from storyblok_traffic.hooks.connection import StoryblokConnectionSettings
from storyblok_traffic.hooks.retry import RetryPolicy
from storyblok_traffic.hooks.throttle import Throttle

__all__ = ["ALL_TRAFFIC_ENDPOINT", "ASSETS_TRAFFIC_ENDPOINT", "StoryblokHook"]


class StoryblokHook(BaseHook):
    """Talks to Storyblok's Management API through a ``storyblok`` connection.

    Every request goes through ``run``, which keeps to the throttle and retries transient failures.

    :param storyblok_conn_id: connection holding the token (password), region and token type (extras).
    :param timeout: (connect, read) timeouts in seconds for each request; defaults to 5 s and the
        connection's ``read_timeout`` (30 s).
    :param retry: how transient failures (429, 5xx, network) are retried.
    :param requests_per_second: client-side rate; defaults to the connection's, else 6 (3 on Starter).
    """

    conn_name_attr = "storyblok_conn_id"
    default_conn_name = "storyblok_default"
    conn_type = "storyblok"
    hook_name = "Storyblok"

    def __init__(
        self,
        storyblok_conn_id: str = default_conn_name,
        *,
        timeout: tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        requests_per_second: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.storyblok_conn_id = storyblok_conn_id
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._requests_per_second = requests_per_second

    @cached_property
    def settings(self) -> StoryblokConnectionSettings:
        settings = StoryblokConnectionSettings.from_connection(self.get_connection(self.storyblok_conn_id))
        mask_secret(settings.token)
        return settings

    @cached_property
    def client(self) -> StoryblokClient:
        return StoryblokClient(
            self.settings,
            timeout=self.timeout,
            retry=self.retry,
            requests_per_second=self._requests_per_second,
            log=self.log,
        )

    @property
    def throttle(self) -> Throttle:
        return self.client.throttle

    def get_conn(self) -> requests.Session:
        """The hook's session: the Authorization header and nothing from the connection's extras."""
        return self.client.session

    def get_all_traffic(self, start_date: date, end_date: date, group_by: str = "day") -> requests.Response:
        """``GET /v1/orgs/me/statistics/all_traffic`` for the inclusive date range."""
        return self.client.get_all_traffic(start_date, end_date, group_by)

    def get_assets_traffic(
        self, start_date: date, end_date: date, page: int = 1, per_page: int = ASSETS_PER_PAGE
    ) -> requests.Response:
        """``GET /v1/orgs/me/statistics/assets_traffic``: one page of the bytes each asset served in the range."""
        return self.client.get_assets_traffic(start_date, end_date, page, per_page)

    def run(self, endpoint: str, params: dict[str, str] | None = None) -> requests.Response:
        """GET ``endpoint`` (a path below the API root) with throttle and retries.

        Returns a 2xx response or raises a ``StoryblokError``.
        """
        return self.client.run(endpoint, params)

    def test_connection(self) -> tuple[bool, str]:
        """Backs the UI's Test button: one small statistics request, validated as the pipeline reads it, and
        its limits in words (``Connected to Storyblok at https://mapi.storyblok.com; it reports a monthly
        limit of 1,000,000 requests (12,000,000 requests a year)``)."""
        # Only the Test button reads the answer here: the hook's importers do not pay for the model.
        from storyblok_traffic.model import parse_all_traffic

        try:
            today = date.today()
            report = parse_all_traffic(self.get_all_traffic(today, today).content)
            # Requests, as the rest of the package counts Storyblok's limit (billing.py, the dashboard).
            return True, (
                f"Connected to Storyblok at {self.settings.base_url}; it reports a monthly limit of "
                f"{report.monthly_traffic_limit:,} requests ({report.yearly_traffic_limit:,} requests a year)"
            )
        except Exception as err:
            return False, str(err)
