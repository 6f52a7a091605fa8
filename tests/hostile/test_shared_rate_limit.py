"""Rate limits shared through a real redis-server (meso.guard.shared_rate_limit): one count
for every process, hashed keys, and this process's own count while Redis is down."""

from __future__ import annotations

import time
from typing import Iterator

import pytest
import redis as redis_py

from devstack.redis import RedisServer, free_port
from meso.guard.rate_limit import Limit
from meso.guard.shared_rate_limit import SharedRateLimiter
from meso.settings import Settings

LIMITS = {"sender": Limit(3, 60), "ip": Limit(5, 60)}


@pytest.fixture()
def url(redis: RedisServer) -> Iterator[str]:
    client = redis_py.Redis(port=redis.port)
    client.flushall()
    yield f"redis://127.0.0.1:{redis.port}/0"
    client.close()


def test_two_processes_share_one_count(url: str) -> None:
    first, second = (SharedRateLimiter.from_url(LIMITS, url, "rest") for _ in range(2))
    assert [limiter.hit(sender="s1").allowed for limiter in (first, second, first)] == [True] * 3
    refused = second.hit(sender="s1")
    assert not refused.allowed and refused.scope == "sender" and 59 < refused.retry_after <= 60
    assert not first.hit(sender="s1").allowed
    assert first.hit(sender="s2").allowed, "other senders are unaffected"


def test_every_scope_is_checked_and_a_refusal_counts_nothing(url: str) -> None:
    limiter = SharedRateLimiter.from_url(LIMITS, url, "rest")
    for number in range(5):
        assert limiter.hit(sender=f"a{number}", ip="198.51.100.7").allowed
    refused = limiter.hit(sender="a9", ip="198.51.100.7")
    assert not refused.allowed and refused.scope == "ip"
    # The refused message was not counted against its sender.
    assert limiter.hit(sender="a9", ip="198.51.100.8").allowed
    assert limiter.hit(sender="a9").allowed and limiter.hit(sender="a9").allowed
    assert not limiter.hit(sender="a9").allowed


def test_channels_are_counted_apart_and_the_window_slides(url: str) -> None:
    short = {"sender": Limit(2, 0.5)}
    rest, sms = (SharedRateLimiter.from_url(short, url, name) for name in ("rest", "sms"))
    assert rest.hit(sender="x").allowed and rest.hit(sender="x").allowed
    assert not rest.hit(sender="x").allowed
    assert sms.hit(sender="x").allowed, "another channel has its own count"
    time.sleep(0.6)
    assert rest.hit(sender="x").allowed, "the window slid"


def test_no_sender_or_address_is_stored_in_redis(url: str, redis: RedisServer) -> None:
    limiter = SharedRateLimiter.from_url(LIMITS, url, "sms")
    assert limiter.hit(sender="+18185550147", ip="198.51.100.9").allowed
    client = redis_py.Redis(port=redis.port)
    stored = b" ".join(client.keys("*")) + b" ".join(
        member for key in client.keys("*") for member in client.zrange(key, 0, -1)
    )
    client.close()
    assert stored and b"8185550147" not in stored and b"198.51.100.9" not in stored


def test_redis_down_counts_in_this_process_without_waiting() -> None:
    limiter = SharedRateLimiter.from_url(LIMITS, f"redis://127.0.0.1:{free_port()}/0", "rest")
    began = time.monotonic()
    assert [limiter.hit(sender="s").allowed for _ in range(4)] == [True, True, True, False]
    assert time.monotonic() - began < 1.0, "one short timeout, then Redis is skipped"
    assert not limiter.breaker.allow()


def test_settings_use_the_lock_stores_redis_or_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RATE_LIMIT_REDIS_URL", "LOCK_STORE_TYPE", "REDIS_HOST", "REDIS_PORT", "REDIS_DB"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().rate_limit_redis_url == ""
    monkeypatch.setenv("LOCK_STORE_TYPE", "redis")
    monkeypatch.setenv("REDIS_HOST", "redis.internal")
    monkeypatch.setenv("REDIS_PORT", "6380")
    monkeypatch.setenv("REDIS_DB", "2")
    assert Settings().rate_limit_redis_url == "redis://redis.internal:6380/2"
    monkeypatch.setenv("RATE_LIMIT_REDIS_URL", "redis://limits:6379/5")
    assert Settings().rate_limit_redis_url == "redis://limits:6379/5"
