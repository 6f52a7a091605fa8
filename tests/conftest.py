"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from typing import Callable, Iterator, TypeVar

import pytest

from devstack.postgres import PostgresServer, start_postgres
from devstack.redis import RedisServer, start_redis

Server = TypeVar("Server")


def started(start: Callable[[], Server]) -> Server:
    """A real server from `start`; the test fails (never skips) when it cannot start."""
    try:
        return start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server on 127.0.0.1 for the whole session.

    Tests get their own database with `postgres.new_database()`; outage tests may
    `stop()` it but must `start()` it again before they finish.
    """
    server = started(start_postgres)
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    """A throwaway redis-server on a free loopback port."""
    server = started(start_redis)
    try:
        yield server
    finally:
        server.stop()
