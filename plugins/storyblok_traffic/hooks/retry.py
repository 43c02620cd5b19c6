"""When and how long to wait before trying a Storyblok request again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Statuses that say "not now" rather than "never".
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped per wait and bounded in total time.

    Defaults follow Storyblok's own management client: 429 retried with backoff capped at 20 s.
    """

    max_attempts: int = 12
    base_delay: float = 0.5
    max_delay: float = 20.0
    total_seconds: float = 120.0  # no request keeps a task busy for longer than this, waits included

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0 or self.total_seconds <= 0:
            raise ValueError(f"invalid retry policy: {self}")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)

    def delay(self, attempt: int, retry_after: str | None, now: datetime | None = None) -> float:
        """The server's ``Retry-After`` wins when it parses; otherwise backoff."""
        parsed = parse_retry_after(retry_after, now)
        if parsed is not None:
            return min(parsed, self.total_seconds)
        return self.backoff(attempt)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` is either delta-seconds or an HTTP date; anything else is ignored."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
