"""Client-side rate limit: spaces requests so that no one-second window holds more than the plan allows.

Storyblok counts requests in fixed one-second windows; starts spaced by ``1 / rate`` can never put
more than ``rate`` of them into any one-second window. Airflow runs each task in its own process,
so the spacing is shared by every process on the host: the next free start time lives in a small
file, updated under an exclusive lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


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
        self.interval = 1.0 / rate
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


def shared_throttle(key: str, rate: float) -> HostThrottle:
    """The throttle every hook on this host uses for (connection, rate)."""
    return HostThrottle(key, rate)
