"""The pure parts of the guards, and the write probes behind /healthz."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from channels.action_guard import MIN_ACTION_SECONDS, outage_message, remaining_budget, unreachable
from channels.tracker_guard import db_error
from meso.cases.escalations import EscalationStore, dispose_engines
from meso.guard.breaker import Breaker, Incident
from tests.reliability.outages import sqlite_locked


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_fails_fast_for_its_cool_down_and_closes_on_success() -> None:
    clock = Clock()
    breaker = Breaker(10, clock)
    assert breaker.allow()
    breaker.failed()
    assert not breaker.allow() and breaker.is_open
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()  # cool-down over: try again
    breaker.failed()
    breaker.succeeded()
    assert breaker.allow()


def test_incident_keeps_the_error_class_not_its_message() -> None:
    incident = Incident()
    incident.record(ValueError("patient said 818 555 0147"), at=5.0)
    assert incident.as_dict() == {"failures": 1, "last_failure_at": 5.0, "last_error": "ValueError"}


@pytest.mark.parametrize(
    "started,now,expected",
    [
        (None, 50.0, 3.0),
        (50.0, 50.0, 3.0),
        (50.0, 51.0, 2.0),
        (50.0, 60.0, MIN_ACTION_SECONDS),
        (50.0, 49.0, 3.0),
    ],
)
def test_remaining_budget_counts_from_the_message(started: float, now: float, expected: float) -> None:
    assert remaining_budget(started, now, 3.0) == pytest.approx(expected)


def test_unreachable_is_a_timeout_or_a_connection_failure_anywhere_in_the_chain() -> None:
    assert unreachable(asyncio.TimeoutError())
    try:
        try:
            raise aiohttp.ClientConnectionError("refused")
        except aiohttp.ClientConnectionError:
            raise RuntimeError("Failed to execute custom action")  # noqa: B904 - as Rasa does
    except RuntimeError as wrapped:
        assert unreachable(wrapped)
    assert not unreachable(RuntimeError("HTTP 500"))


def test_escalation_ping_is_false_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "escalations.db"
    store = EscalationStore(f"sqlite:///{path}", alert_channels=())
    try:
        assert store.ping()  # WAL mode: a SELECT would still pass under the lock
        with sqlite_locked(path):
            assert store.ping() is False
        assert store.ping()
    finally:
        dispose_engines()


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_tracker_probe_is_down_while_another_process_holds_the_lock(tmp_path: Path, journal: str) -> None:
    path = tmp_path / "rasa.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    SQLTrackerStore.Base.metadata.create_all(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql(f"PRAGMA journal_mode={journal}")
    assert db_error(engine) is None
    with sqlite_locked(path):
        assert db_error(engine) == "OperationalError"
    assert db_error(engine) is None
    engine.dispose()


def test_the_outage_reply_is_in_the_conversation_language() -> None:
    english = outage_message(None)
    assert english.startswith("Sorry, I can't answer that right now.") and english.endswith("call 911.")
    spanish = outage_message("queued", "es")
    assert spanish.startswith("Perdón, no puedo contestar eso en este momento.")
    assert "lista del personal" in spanish and spanish.endswith("llame al 911.")
