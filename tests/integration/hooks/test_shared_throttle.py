"""One Storyblok rate limit for every host (issue 14): processes that share nothing on disk keep to it
through Redis (the Celery broker on this machine), and do not without it."""

from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path
from typing import Any

import pytest

from storyblok_traffic.hooks.retry import RetryPolicy
from storyblok_traffic.hooks.throttle import THROTTLE_URL, RedisThrottle, shared_throttle
from tests.integration.hooks.test_storyblok import DAY, hook

REDIS = "redis://127.0.0.1:6379/13"  # a database nothing else here uses
# No retries: a 429 fails the burst, so the count of calls is the count of requests sent.
ONCE = RetryPolicy(max_attempts=1, base_delay=0.1, max_delay=0.1, total_seconds=5)


@pytest.fixture
def sim_settings():
    from include.storyblok_simulator import SimulatorSettings

    return SimulatorSettings(requests_per_second=3)  # a Starter plan: the hook keeps to 3 a second


@pytest.fixture
def redis_url() -> str:
    from redis import Redis

    Redis.from_url(REDIS).ping()  # this machine runs one; CI too
    return REDIS


def _host(throttle_dir: str, url: str | None, count: int, answers: list[int], start: Any) -> None:
    """One "host": its own throttle directory (and temp), its own hook process."""
    import os

    os.environ["STORYBLOK_THROTTLE_DIR"] = throttle_dir
    os.environ.pop(THROTTLE_URL, None)
    if url:
        os.environ[THROTTLE_URL] = url
    h = hook(requests_per_second=3, retry=ONCE)  # the same connection on both hosts
    h.get_conn()
    start.wait(30)  # both hosts ready: they start their bursts together
    for _ in range(count):
        try:
            h.get_all_traffic(DAY, DAY)
            answers.append(200)
        except Exception:
            answers.append(429)


def _two_hosts(tmp_path: Path, url: str | None) -> list[int]:
    ctx = multiprocessing.get_context("fork")
    manager = ctx.Manager()
    answers, start = manager.list(), manager.Barrier(2)
    hosts = [ctx.Process(target=_host, args=(str(tmp_path / f"host{i}"), url, 6, answers, start)) for i in range(2)]
    for i, h in enumerate(hosts):
        (tmp_path / f"host{i}").mkdir()
        h.start()
    for h in hosts:
        h.join(60)
    assert [h.exitcode for h in hosts] == [0, 0]
    return list(answers)


def test_two_hosts_share_the_limit_through_redis(simulator, storyblok_conn, redis_url, tmp_path):
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    answers = _two_hosts(tmp_path, redis_url)
    assert answers == [200] * 12
    starts = sorted(r["at"] for r in simulator.requests)
    assert len(starts) == 12
    # 12 starts spaced by a third of a second: 11 gaps.
    assert starts[-1] - starts[0] >= 11 / 3 - 0.1


def test_without_redis_two_hosts_get_429s(simulator, storyblok_conn, tmp_path):
    """The control: each host keeps to 3/s on its own, together they are over Storyblok's limit."""
    answers = _two_hosts(tmp_path, None)
    assert 429 in answers


def test_the_throttle_is_chosen_by_the_url(redis_url, monkeypatch):
    monkeypatch.delenv(THROTTLE_URL, raising=False)
    assert type(shared_throttle("c", 3)).__name__ == "HostThrottle"
    monkeypatch.setenv(THROTTLE_URL, redis_url)
    assert isinstance(shared_throttle("c", 3), RedisThrottle)
    monkeypatch.setenv(THROTTLE_URL, "postgresql://u:secret@db/x")
    with pytest.raises(ValueError, match="STORYBLOK_THROTTLE_URL must be a redis") as err:
        shared_throttle("c", 3)
    assert "secret" not in str(err.value)


def test_a_crashed_holder_leaves_nothing_stuck(redis_url):
    """The state is one hash with a short expiry: nothing is held while a request waits or after it."""
    from redis import Redis

    key = f"k-{uuid.uuid4().hex}"
    throttle = RedisThrottle(key, 2, redis_url)
    assert throttle.wait() < 0.05
    waited = RedisThrottle(key, 2, redis_url).wait()  # another process, half a second later at the latest
    assert 0.3 < waited < 0.7
    names = [n for n in Redis.from_url(redis_url).keys("storyblok-throttle:*")]
    assert names
    assert all(0 < Redis.from_url(redis_url).pttl(n) <= 2_000 for n in names)
