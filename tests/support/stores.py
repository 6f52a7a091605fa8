"""Reads what a running stack stored: Rasa's tracker events and the escalations."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any, Callable, Dict, List, TypeVar

from devstack.stack import Stack

T = TypeVar("T")


def user_events(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    """The `user` events Rasa stored for `sender`, oldest first."""
    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def slot_names(stack: Stack, sender: str) -> List[str]:
    """The names of the slots set in `sender`'s conversation."""
    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot'", (sender,)).fetchall()
    return [json.loads(row[0]).get("name") for row in rows]


def all_user_texts(stack: Stack) -> List[str]:
    """Every user message text Rasa stored."""
    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        rows = db.execute("SELECT data FROM events WHERE type_name = 'user'").fetchall()
    return [json.loads(row[0]).get("text") or "" for row in rows]


def escalation_messages(stack: Stack, conversation_id: str) -> List[str]:
    """The messages of the escalations recorded for a conversation."""
    with sqlite3.connect(stack.data_dir / "escalations.db") as db:
        rows = db.execute("SELECT message FROM escalations WHERE conversation_id = ?", (conversation_id,)).fetchall()
    return [row[0] for row in rows]


def eventually(check: Callable[[], T], timeout: float = 30, interval: float = 0.2) -> T:
    """Polls `check` until it returns something truthy (a turn is stored after its replies go out)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
