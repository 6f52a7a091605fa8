"""Fixtures of the scale-out tests: a real redis-server (PostgreSQL: tests/conftest.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.redis import RedisServer, start_redis


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    """A throwaway redis-server on a free loopback port; fails (not skips) when missing."""
    try:
        server = start_redis()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
