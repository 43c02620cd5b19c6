"""Exceptions with messages that say what is wrong and never carry the token."""

from __future__ import annotations

BLANK = "***"


def without_secret(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` blanked: for anything taken from an answer, which
    a misbehaving server or proxy may have filled with the request's own headers."""
    return text.replace(secret, BLANK) if secret else text


def body_without_secret(body: bytes, secret: str) -> bytes:
    """The same for a raw body, before anything reads it: no quote, cut or copy of it holds the secret."""
    return body.replace(secret.encode(), BLANK.encode()) if secret else body


class StoryblokError(Exception):
    """Base class for everything this package raises about Storyblok."""


class StoryblokConnectionError(StoryblokError):
    """The Airflow connection is unusable (unknown region, no token, bad host)."""


class StoryblokRequestRejected(StoryblokError):
    """Storyblok refused the request (400/401/403/404/422): retrying cannot help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class StoryblokUnavailable(StoryblokError):
    """Transient failures (429, 5xx, network) outlasted the retry budget."""


class StoryblokPayloadError(StoryblokError):
    """The response is not the JSON shape we rely on; the message names the field."""


class StoryblokAnswerTooLarge(StoryblokPayloadError):
    """The answer passed the connection's ``max_answer_mb``: read no further. ``head`` is its start,
    kept aside for diagnosis (at most ``KEPT_BYTES``)."""

    def __init__(self, message: str, head: bytes) -> None:
        super().__init__(message)
        self.head = head


# What retrying cannot fix: a request Storyblok refuses, a connection that cannot be used, an answer that is
# not what its documentation says. A task fails on them at once; an unavailable API is retried.
RETRY_CANNOT_FIX = (StoryblokRequestRejected, StoryblokConnectionError, StoryblokPayloadError)


class NotificationError(RuntimeError):
    """A channel did not take a notice; the others did, and a retry sends only to the failed one."""


class WarehouseWaitTimeout(RuntimeError):
    """A wait on the warehouse outlasted its bound (a lock held by another session, a statement that
    ran too long): the message names what was waited for and, for a lock, the session that held it.
    The task fails; its retry runs once the other session is done."""


class ConfigurationUnusable(RuntimeError):
    """The monitor configuration does not load: no usage is checked until it is fixed. The watchdog
    fails with it every hour (the run is red), after telling the channels once per error."""


class SilenceError(ValueError):
    """A silence that cannot be made or expired as asked: the message says why; ``missing``: there is none."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing
