"""Tracker store down (SQLite locked by another process, PostgreSQL stopped): no silent memory.

At start, Rasa as shipped carries on with a database it cannot reach (and a missing
tracker store config means memory); ours refuses to start. While running, a turn the
store cannot take is answered (911 too), not kept anywhere, and /healthz says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator

import pytest
import sqlalchemy as sa

from channels.tracker_guard import EXIT_UNAVAILABLE
from devstack.postgres import PostgresServer
from devstack.stack import Stack, make_stack
from tests.reliability.outages import sqlite_locked
from tests.reliability.support import (
    OUTAGE,
    REPLY_BUDGET_S,
    health,
    log_text,
    record,
    running,
    timed_say,
    wait_for,
    wait_healthy,
)

FAQ = "how much does it cost?"
EMERGENCY = "I can't breathe and my throat is swelling"
QUICK_START = {"TRACKER_STARTUP_WAIT_SECONDS": "2"}


def stored_turns(url: str, sender: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'")
            return int(connection.execute(query, {"s": sender}).scalar())
    finally:
        engine.dispose()


def pg_overrides(postgres: PostgresServer) -> Dict[str, str]:
    return {"TRACKER_DB_DIALECT": "postgresql", "TRACKER_DB_URL": postgres.new_database()}


def assert_turns_answered_while_down(stack: Stack, figure: str) -> None:
    seconds, replies = timed_say(stack, f"{figure}-faq", FAQ)
    record(f"{figure}.reply_s", seconds)
    assert seconds < REPLY_BUDGET_S and replies and not replies[0].startswith(OUTAGE), replies
    seconds, replies = timed_say(stack, f"{figure}-911", EMERGENCY)
    record(f"{figure}.emergency_s", seconds)
    assert seconds < REPLY_BUDGET_S and replies[0].startswith("Please call 911 now"), replies
    status, report = health(stack)
    assert status == 503 and report["tracker_store"]["up"] is False, report
    assert report["tracker_store"]["failures"] >= 1 and report["tracker_store"]["last_error"]
    assert "Tracker store failed" in log_text(stack, "rasa")


def assert_refuses_to_start(stack: Stack, reason: str) -> None:
    with pytest.raises(RuntimeError, match="exited"):
        stack.start_rasa()
    assert stack.processes["rasa"].returncode == EXIT_UNAVAILABLE
    assert f"Refusing to start: {reason}" in log_text(stack, "rasa")


# -- SQLite -----------------------------------------------------------------------------


def test_sqlite_locked_while_running(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        url = stack.env["TRACKER_DB_URL"]
        timed_say(stack, "sqlite-before", FAQ)
        with sqlite_locked(stack.data_dir / "rasa.db"):
            assert_turns_answered_while_down(stack, "tracker_sqlite_locked")
        wait_healthy(stack)
        timed_say(stack, "sqlite-after", FAQ)
        assert stored_turns(url, "sqlite-before") == 1 and stored_turns(url, "sqlite-after") == 1
        # Answered but kept nowhere: not in the database, and no memory fallback to hide it.
        assert stored_turns(url, "tracker_sqlite_locked-faq") == 0


def test_sqlite_locked_at_start_refuses_to_start(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, QUICK_START)
    try:
        with sqlite_locked(stack.data_dir / "rasa.db"):
            assert_refuses_to_start(stack, "the tracker store cannot be reached")
    finally:
        stack.stop_all()


def test_tracker_store_in_memory_refuses_to_start(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints-memory.yml"
    endpoints.write_text("action_endpoint:\n  url: ${ACTION_SERVER_URL}\n  token: ${ACTION_SERVER_TOKEN}\n")
    stack = make_stack(tmp_path / "stack", QUICK_START)
    try:
        with pytest.raises(RuntimeError, match="exited"):
            stack.start_rasa(["--endpoints", str(endpoints)])
        assert stack.processes["rasa"].returncode == EXIT_UNAVAILABLE
        assert "Refusing to start: the tracker store is in memory" in log_text(stack, "rasa")
    finally:
        stack.stop_all()


# -- PostgreSQL -------------------------------------------------------------------------


@pytest.fixture()
def pg_stack(tmp_path: Path, postgres: PostgresServer) -> Iterator[Stack]:
    with running(tmp_path, pg_overrides(postgres)) as stack:
        yield stack


def test_postgres_stopped_while_running(pg_stack: Stack, postgres: PostgresServer) -> None:
    url = pg_stack.env["TRACKER_DB_URL"]
    timed_say(pg_stack, "pg-before", FAQ)
    postgres.stop()
    try:
        assert_turns_answered_while_down(pg_stack, "tracker_pg_stopped")
    finally:
        postgres.start()
    wait_healthy(pg_stack)
    timed_say(pg_stack, "pg-after", FAQ)  # the first turn after the restart is kept
    assert stored_turns(url, "pg-before") == 1 and stored_turns(url, "pg-after") == 1
    assert stored_turns(url, "tracker_pg_stopped-faq") == 0


def test_postgres_stopped_at_start_refuses_to_start(tmp_path: Path, postgres: PostgresServer) -> None:
    stack = make_stack(tmp_path, {**pg_overrides(postgres), **QUICK_START})
    postgres.stop()
    try:
        assert_refuses_to_start(stack, "the tracker store cannot be reached")
    finally:
        postgres.start()
        stack.stop_all()


def test_postgres_back_during_start_gets_its_tables(tmp_path: Path, postgres: PostgresServer) -> None:
    """Rasa tries to create its tables once; ours waits and creates them when the database is back."""
    stack = make_stack(tmp_path, {**pg_overrides(postgres), "TRACKER_STARTUP_WAIT_SECONDS": "120"})
    postgres.stop()
    try:
        stack.start_rasa(wait=False)
        process = stack.processes["rasa"]
        wait_for(
            lambda: "Could not create tables" in log_text(stack, "rasa"), 120, "Rasa gave up on its tables"
        )
        assert process.poll() is None
    finally:
        postgres.start()
    try:
        wait_for(
            lambda: "Tracker store reachable" in log_text(stack, "rasa"), 60, "tracker store check passed"
        )
        stack.start_actions()
        timed_say(stack, "pg-late", FAQ)
        assert stored_turns(stack.env["TRACKER_DB_URL"], "pg-late") == 1
    finally:
        stack.stop_all()
