"""Client-side rate limit: spaces requests so that no one-second window holds more than the plan allows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttle:
    """Minimum spacing of ``1 / rate`` seconds between request starts, shared by threads in a process.

    Storyblok counts requests in fixed one-second windows; starts spaced by ``1 / rate`` can never put
    more than ``rate`` of them into any one-second window.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0

    def wait(self) -> float:
        """Block until the next request may start; return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay


_shared: dict[tuple[str, float], Throttle] = {}
_shared_lock = threading.Lock()


def shared_throttle(key: str, rate: float) -> Throttle:
    """One throttle per (connection, rate) in this process, so that hooks built per task share it."""
    with _shared_lock:
        throttle = _shared.get((key, rate))
        if throttle is None:
            throttle = _shared[(key, rate)] = Throttle(rate)
        return throttle
