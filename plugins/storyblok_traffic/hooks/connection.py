"""Settings of a ``storyblok`` Airflow connection: region or host, token and how it is sent, rate."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from storyblok_traffic.errors import StoryblokConnectionError

REGION_ROOTS: dict[str, str] = {
    "eu": "https://mapi.storyblok.com",
    "us": "https://api-us.storyblok.com",
    "ca": "https://api-ca.storyblok.com",
    "ap": "https://api-ap.storyblok.com",
    "cn": "https://app.storyblokchina.cn",
}
AUTH_SCHEMES = ("personal", "oauth")
# The extra that says how the token is sent. Its first name, token_type, contains "token", so Airflow's
# secrets masker hid its value: the UI's edit form showed *** and could not show the saved choice.
AUTH_SCHEME_EXTRA, OLD_AUTH_SCHEME_EXTRA = "auth_scheme", "token_type"
# Storyblok's plans: 3 requests/s on Starter, 6 on all others.
DEFAULT_REQUESTS_PER_SECOND = 6.0
# Generous, because the backfill asks for a whole month of every space per request.
DEFAULT_READ_TIMEOUT = 30.0
# A year of 500 spaces by day is about 12 MB of JSON: 64 MB leaves room, and stays far below a worker's memory.
DEFAULT_MAX_ANSWER_MB = 64.0


@dataclass(frozen=True)
class StoryblokConnectionSettings:
    conn_id: str
    base_url: str
    region: str
    token: str
    auth_scheme: str
    requests_per_second: float
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_answer_mb: float = DEFAULT_MAX_ANSWER_MB  # an answer past it is refused, read no further

    def __repr__(self) -> str:  # the token must not surface through a repr in a log or traceback
        return (
            f"StoryblokConnectionSettings(conn_id={self.conn_id!r}, base_url={self.base_url!r}, "
            f"region={self.region!r}, auth_scheme={self.auth_scheme!r}, "
            f"requests_per_second={self.requests_per_second})"
        )

    @property
    def limit_key(self) -> str:
        """Whose rate limit this is: Storyblok limits each token at its API root, not each connection id.

        Two connection ids with one token share it; one id holding another organisation's token does
        not. The token itself never leaves: only a hash of it.
        """
        return f"{self.base_url}#{hashlib.sha256(self.token.encode()).hexdigest()[:24]}"

    @property
    def fingerprint(self) -> str:
        """This token at this API root, as a hash: a rejected token is known again without keeping it."""
        return self.limit_key

    @property
    def authorization(self) -> str:
        """Personal access tokens go as they are; OAuth tokens as ``Bearer``."""
        return f"Bearer {self.token}" if self.auth_scheme == "oauth" else self.token

    @classmethod
    def from_connection(cls, conn: Any) -> StoryblokConnectionSettings:
        """Build from an Airflow ``Connection``; a bad setting raises naming the setting, not the token."""
        extra = _extra(conn)
        conn_id = conn.conn_id
        region = str(extra.get("region") or "eu").strip().lower()
        if region not in REGION_ROOTS:
            raise StoryblokConnectionError(
                f"connection {conn_id!r}: unknown region {region!r}; use one of {', '.join(REGION_ROOTS)}"
            )
        auth_scheme = str(extra.get(AUTH_SCHEME_EXTRA) or extra.get(OLD_AUTH_SCHEME_EXTRA) or "personal")
        auth_scheme = auth_scheme.strip().lower()
        if auth_scheme not in AUTH_SCHEMES:
            raise StoryblokConnectionError(
                f"connection {conn_id!r}: Token type (auth_scheme) {auth_scheme!r} must be 'personal' or 'oauth'"
            )
        # The form calls the password "Access token" (provider_info.py): the messages use its name, and say
        # "password" only for a connection written outside the form (a URI or an environment variable).
        token = (conn.password or "").strip()
        if not token:
            raise StoryblokConnectionError(
                f"connection {conn_id!r} has no Access token: put the Storyblok personal access token in its "
                "Access token field (a connection's password, when written as a URI)"
            )
        if token.lower().startswith("bearer "):
            raise StoryblokConnectionError(
                f"connection {conn_id!r}: store the Access token without the 'Bearer ' prefix and set "
                "Token type (auth_scheme) to 'oauth' instead"
            )
        return cls(
            conn_id=conn_id,
            base_url=_base_url(conn_id, conn.host, region),
            region=region,
            token=token,
            auth_scheme=auth_scheme,
            requests_per_second=_number(conn_id, "requests_per_second", extra, DEFAULT_REQUESTS_PER_SECOND, 100),
            read_timeout=_number(conn_id, "read_timeout", extra, DEFAULT_READ_TIMEOUT, 600),
            max_answer_mb=_number(conn_id, "max_answer_mb", extra, DEFAULT_MAX_ANSWER_MB, 4096),
        )


def _extra(conn: Any) -> dict[str, Any]:
    try:
        extra = conn.extra_dejson
    except Exception:  # Airflow raises different types for undecodable extras across versions
        extra = None
    if not isinstance(extra, dict):
        raise StoryblokConnectionError(f"connection {conn.conn_id!r}: extra must be a JSON object")
    return extra


def _base_url(conn_id: str, host: str | None, region: str) -> str:
    """``host`` overrides the region root: how tests and the simulator point the hook elsewhere."""
    if not host:
        return REGION_ROOTS[region]
    parsed = urlparse(host.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise StoryblokConnectionError(
            f"connection {conn_id!r}: host {host!r} must be an http(s) URL such as https://mapi.storyblok.com"
        )
    root = host.strip().rstrip("/")
    if root.endswith("/v1"):
        raise StoryblokConnectionError(f"connection {conn_id!r}: host must not end with /v1 (it is appended)")
    return root


def _number(conn_id: str, name: str, extra: dict[str, Any], default: float, most: float) -> float:
    value = extra.get(name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0 < number <= most:
        raise StoryblokConnectionError(f"connection {conn_id!r}: {name} {value!r} must be a number in (0, {most:g}]")
    return number
