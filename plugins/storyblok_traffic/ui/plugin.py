"""The Airflow plugin that mounts the "Storyblok usage" app in the API server (entry point ``airflow.plugins``).

Airflow loads every plugin in every process it starts, each task's included; only the API server
reads ``fastapi_apps``. The app (FastAPI and Airflow's API security) is therefore built when that
attribute is first read, not when this module is imported: importing it eagerly cost every task about
3 s of CPU here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from storyblok_traffic.ui.connection_test import HiddenPortMiddleware

URL_PREFIX = "/storyblok-usage"


@cache
def _apps() -> list[dict[str, Any]]:
    from storyblok_traffic.ui.app import app

    return [{"app": app, "url_prefix": URL_PREFIX, "name": "Storyblok usage"}]


class _BuiltWhenRead:
    """A class attribute computed on first read (Airflow reads the plugin class's attributes)."""

    def __get__(self, instance: object, owner: type | None = None) -> list[dict[str, Any]]:
        return _apps()


class StoryblokUsagePlugin(AirflowPlugin):
    name = "storyblok_usage"
    fastapi_apps = _BuiltWhenRead()
    # The UI's Test button on a saved Storyblok connection (see storyblok_traffic.ui.connection_test).
    fastapi_root_middlewares = [{"middleware": HiddenPortMiddleware, "name": "storyblok_connection_test"}]
    # Shown inside the UI (an iframe): a nav entry, and a tab on every DAG (Airflow 3.3 cannot limit it to
    # the organisations' DAGs; on another DAG the page says so).
    external_views = [
        {"name": "Storyblok usage", "href": f"{URL_PREFIX}/", "url_route": "storyblok-usage", "category": "browse"},
        {"name": "Usage", "href": f"{URL_PREFIX}/dag/{{DAG_ID}}", "url_route": "usage", "destination": "dag"},
    ]
