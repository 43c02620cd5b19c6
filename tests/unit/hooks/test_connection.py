from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection

from storyblok_traffic.errors import StoryblokConnectionError
from storyblok_traffic.hooks.connection import REGION_ROOTS, StoryblokConnectionSettings

TOKEN = "pat-0123456789abcdef"


def settings(host: str | None = None, password: str | None = TOKEN, **extra) -> StoryblokConnectionSettings:
    conn = Connection(
        conn_id="storyblok_test", conn_type="storyblok", host=host, password=password, extra=json.dumps(extra)
    )
    return StoryblokConnectionSettings.from_connection(conn)


@pytest.mark.parametrize("region", sorted(REGION_ROOTS))
def test_region_roots(region):
    assert settings(region=region).base_url == REGION_ROOTS[region]


def test_defaults_to_eu_personal_token_six_per_second():
    s = settings()
    assert (s.base_url, s.auth_scheme, s.requests_per_second, s.read_timeout) == (
        "https://mapi.storyblok.com",
        "personal",
        6.0,
        30.0,
    )
    assert settings(read_timeout="2.5").read_timeout == 2.5
    assert s.authorization == TOKEN


def test_oauth_token_goes_as_bearer():
    assert settings(auth_scheme="oauth").authorization == f"Bearer {TOKEN}"


def test_the_old_extra_name_token_type_still_works():
    assert settings(token_type="oauth").authorization == f"Bearer {TOKEN}"
    assert settings(token_type="oauth", auth_scheme="personal").authorization == TOKEN  # the new name wins


def test_host_overrides_region():
    assert settings(host="http://127.0.0.1:8765/", region="us").base_url == "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"region": "mars"}, "unknown region 'mars'"),
        ({"auth_scheme": "jwt"}, "Token type (auth_scheme) 'jwt'"),
        ({"token_type": "jwt"}, "Token type (auth_scheme) 'jwt'"),
        ({"password": None}, "has no Access token: put the Storyblok personal access token in its Access token field"),
        ({"password": f"Bearer {TOKEN}"}, "Access token without the 'Bearer ' prefix"),
        ({"host": "mapi.storyblok.com"}, "must be an http(s) URL"),
        ({"host": "https://mapi.storyblok.com/v1"}, "must not end with /v1"),
        ({"requests_per_second": "fast"}, "requests_per_second 'fast'"),
        ({"requests_per_second": 0}, "requests_per_second 0"),
        ({"read_timeout": "nan"}, "read_timeout 'nan' must be a number in (0, 600]"),
        ({"read_timeout": 3600}, "read_timeout 3600"),
    ],
)
def test_bad_settings_are_named_without_the_token(kwargs, expected):
    with pytest.raises(StoryblokConnectionError, match="storyblok_test") as err:
        settings(**kwargs)
    assert expected in str(err.value)
    assert TOKEN not in str(err.value)


def test_repr_hides_the_token():
    assert TOKEN not in repr(settings())
