"""serving: the tracker store keeps Rasa's semantics; the fixes keep Rasa's behaviour."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from serving import fixes
from serving.tracker_store import STORED, TurnSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  topic: {type: text, influence_conversation: false, mappings: [{type: custom}]}
"""
)


def _store(path: Path) -> TurnSQLTrackerStore:
    return TurnSQLTrackerStore(domain=DOMAIN, dialect="sqlite", host=f"sqlite:///{path}", db="rasa.db")


def _stored_rows(path: Path, sender: str) -> list:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT type_name FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()


def test_turns_are_stored_once_each(tmp_path: Path) -> None:
    db = tmp_path / "rasa.db"
    store = _store(db)

    async def conversation() -> None:
        tracker = await store.get_or_create_tracker("alice")
        for number in range(3):
            tracker = await store.get_or_create_tracker("alice")
            tracker.update(UserUttered(f"hello {number}", {"name": "greet", "confidence": 1.0}))
            tracker.update(SlotSet("topic", f"t{number}"))
            tracker.update(BotUttered(f"hi {number}"))
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)
            await store.save(tracker)  # saving again adds nothing
        loaded = await store.retrieve("alice")
        assert loaded is not None
        assert getattr(loaded, STORED) == len(loaded.events) == len(_stored_rows(db, "alice"))
        assert loaded.get_slot("topic") == "t2"

    asyncio.run(conversation())
    assert [row[0] for row in _stored_rows(db, "alice")].count("user") == 3
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_only_the_latest_session_is_loaded(tmp_path: Path) -> None:
    store = _store(tmp_path / "rasa.db")

    async def two_sessions() -> None:
        tracker = await store.get_or_create_tracker("bob")
        tracker.update(UserUttered("first", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)
        tracker = await store.get_or_create_tracker("bob")
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(UserUttered("second", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)
        loaded = await store.retrieve("bob")
        assert loaded is not None
        assert [e.text for e in loaded.events if isinstance(e, UserUttered)] == ["second"]

    asyncio.run(two_sessions())


def test_a_tracker_it_did_not_hand_out_falls_back_to_counting(tmp_path: Path) -> None:
    db = tmp_path / "rasa.db"
    store = _store(db)

    async def foreign_tracker() -> None:
        tracker = await store.get_or_create_tracker("carol")
        tracker.update(UserUttered("hi", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)
        delattr(tracker, STORED)
        tracker.update(BotUttered("hello"))
        await store.save(tracker)

    asyncio.run(foreign_tracker())
    assert [row[0] for row in _stored_rows(db, "carol")] == ["action", "user", "bot"]


def test_action_response_check_is_rasa_s(tmp_path: Path) -> None:
    fixes.install()
    action = RemoteAction("action_answer", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "slot"}], "responses": "not a list"})


def test_event_classes_are_the_ones_rasa_finds() -> None:
    fixes.install()
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is fixes._ORIGINAL_RESOLVE(cls.type_name)
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
