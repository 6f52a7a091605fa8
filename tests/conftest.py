"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.postgres import PostgresServer, start_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server on 127.0.0.1 for the whole session.

    Tests get their own database with `postgres.new_database()`; outage tests may
    `stop()` it but must `start()` it again before they finish.
    """
    try:
        server = start_postgres()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.destroy()
