"""Client-side rate limit: spaces requests so that no one-second window holds more than the plan allows.

Storyblok counts requests in fixed one-second windows, per organisation; starts spaced by at least
``1 / rate`` can never put more than ``rate`` of them into any one-second window (they are spaced by
10 % more, for the jitter on the way). Airflow runs each task in its
own process, so the spacing must be shared:

- on one host (the default), the next free start time lives in a small file, updated under ``flock``;
- across hosts (``STORYBLOK_THROTTLE_URL=redis://...``, for example the Celery broker), in Redis:
  pyrate-limiter's GCRA with a burst of 1, which is exactly this spacing. Its state is one hash that
  expires by itself, so a crashed worker holds nothing, and a waiting request holds no connection.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

# Both stores space starts by SLACK / rate: requests reach Storyblok with some jitter, and exact spacing
# (3 a second left 2 ms) drew a 429 on this machine under load, from one host and from several.
SLACK = 1.1


class HostThrottle:
    """The same spacing for every process on this host that uses the same ``key`` and rate.

    :param directory: where the state file lives; ``STORYBLOK_THROTTLE_DIR`` or the temp directory.
    """

    def __init__(
        self,
        key: str,
        rate: float,
        directory: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.interval = SLACK / rate
        base = Path(directory or os.environ.get("STORYBLOK_THROTTLE_DIR") or tempfile.gettempdir())
        digest = hashlib.sha256(f"{key}:{rate}".encode()).hexdigest()[:16]
        self.path = base / f"storyblok-throttle-{digest}"
        self._clock = clock
        self._sleep = sleep

    def wait(self) -> float:
        """Block until the next request may start; return the seconds waited."""
        with open(self.path, "a+b") as state:
            fcntl.flock(state, fcntl.LOCK_EX)  # released when the file closes
            state.seek(0)
            raw = state.read(8)
            now = self._clock()
            start = max(now, struct.unpack("d", raw)[0] if len(raw) == 8 else 0.0)
            state.seek(0)
            state.truncate()
            state.write(struct.pack("d", start + self.interval))
            state.flush()
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay


class Throttle(Protocol):
    def wait(self) -> float:
        """Block until the next request may start; return the seconds waited."""
        ...


class RedisThrottle:
    """The same spacing for every process on every host that reaches the same Redis with the same key and rate."""

    def __init__(self, key: str, rate: float, url: str) -> None:
        from pyrate_limiter import GCRA, Limiter, Rate, RedisStateStore, StateBucket
        from redis import Redis

        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        # One start per emission interval, no burst: GCRA admits a request only when the previous
        # one started at least SLACK / rate ago, as the host throttle spaces them.
        every = Rate(1, max(1, math.ceil(1000 * SLACK / rate)), burst=1)
        digest = hashlib.sha256(f"{key}:{rate}".encode()).hexdigest()[:16]
        store = RedisStateStore(Redis.from_url(url), f"storyblok-throttle:{digest}")
        self._limiter = Limiter(StateBucket([every], GCRA(), store), buffer_ms=0)

    def wait(self) -> float:
        began = time.monotonic()
        self._limiter.try_acquire("storyblok")
        return time.monotonic() - began


THROTTLE_URL = "STORYBLOK_THROTTLE_URL"


def shared_throttle(key: str, rate: float) -> Throttle:
    """The throttle every hook uses for (``key``, rate): in Redis when ``STORYBLOK_THROTTLE_URL``
    names one, else on this host."""
    url = os.environ.get(THROTTLE_URL, "").strip()
    if not url:
        return HostThrottle(key, rate)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        scheme = url.split(":", 1)[0]  # never the rest: it may hold a password
        raise ValueError(
            f"{THROTTLE_URL} must be a redis://, rediss:// or unix:// URL (or unset: one host), not {scheme}:"
        )
    return RedisThrottle(key, rate, url)
