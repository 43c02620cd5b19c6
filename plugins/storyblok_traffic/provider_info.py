"""Provider metadata: registers the ``storyblok`` connection type with its UI form (entry point target)."""

from __future__ import annotations

from typing import Any

from storyblok_traffic import __version__
from storyblok_traffic.hooks.connection import (
    AUTH_SCHEMES,
    DEFAULT_MAX_ANSWER_MB,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_REQUESTS_PER_SECOND,
    REGION_ROOTS,
)

PACKAGE_NAME = "storyblok-traffic-monitor"

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "login"],
    "relabeling": {"password": "Access token", "host": "API root override (optional)"},
    "placeholders": {
        "password": "personal access token of an organisation owner or admin",
        "host": "leave empty to use the region's root, e.g. http://localhost:8765 for the simulator",
    },
}

CONN_FIELDS: dict[str, Any] = {
    "region": {
        "label": "Region",
        "description": "Storyblok region of the organisation's spaces; ignored when a host is set.",
        "schema": {"type": ["string", "null"], "enum": [*REGION_ROOTS, None], "default": "eu"},
    },
    "auth_scheme": {
        "label": "Token type",
        "description": "'personal' sends the token as it is; 'oauth' sends it as a Bearer token.",
        "schema": {"type": ["string", "null"], "enum": [*AUTH_SCHEMES, None], "default": "personal"},
    },
    "requests_per_second": {
        "label": "Requests per second",
        "description": "Client-side rate limit: 3 on the Starter plan, 6 on all others.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_REQUESTS_PER_SECOND},
    },
    "read_timeout": {
        "label": "Read timeout (s)",
        "description": "How long to wait for an answer before retrying; at most 600.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_READ_TIMEOUT},
    },
    "max_answer_mb": {
        "label": "Largest answer (MB)",
        "description": "An answer larger than this is refused, read no further; at most 4096.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_MAX_ANSWER_MB},
    },
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": PACKAGE_NAME,
        "name": "Storyblok traffic monitor",
        "description": "Storyblok Management API hook, traffic operators, usage alerts and their notifications.",
        "versions": [__version__],
        "connection-types": [
            {
                "connection-type": "storyblok",
                "hook-class-name": "storyblok_traffic.hooks.storyblok.StoryblokHook",
                "hook-name": "Storyblok",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
        "notifications": [
            "storyblok_traffic.notifications.failure.PipelineFailureNotifier",
            "storyblok_traffic.notifications.senders.SlackChannelNotifier",
            "storyblok_traffic.notifications.senders.WebhookChannelNotifier",
            "storyblok_traffic.notifications.senders.EmailChannelNotifier",
            "storyblok_traffic.notifications.senders.PagerDutyChannelNotifier",
            "storyblok_traffic.notifications.senders.OpsgenieChannelNotifier",
            "storyblok_traffic.notifications.senders.TeamsChannelNotifier",
            "storyblok_traffic.notifications.senders.AppriseChannelNotifier",
        ],
    }
