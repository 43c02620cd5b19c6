"""The Airflow plugin that mounts the "Storyblok usage" app in the API server (entry point ``airflow.plugins``)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from storyblok_traffic.ui.app import app
from storyblok_traffic.ui.connection_test import HiddenPortMiddleware

URL_PREFIX = "/storyblok-usage"


class StoryblokUsagePlugin(AirflowPlugin):
    name = "storyblok_usage"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Storyblok usage"}]
    # The UI's Test button on a saved Storyblok connection (see storyblok_traffic.ui.connection_test).
    fastapi_root_middlewares = [{"middleware": HiddenPortMiddleware, "name": "storyblok_connection_test"}]
    # Shown inside the UI (an iframe): a nav entry, and a tab on every DAG (Airflow 3.3 cannot limit it to
    # the organisations' DAGs; on another DAG the page says so).
    external_views = [
        {"name": "Storyblok usage", "href": f"{URL_PREFIX}/", "url_route": "storyblok-usage", "category": "browse"},
        {"name": "Usage", "href": f"{URL_PREFIX}/dag/{{DAG_ID}}", "url_route": "usage", "destination": "dag"},
    ]
