"""Conversation transcripts read from Rasa's SQL tracker store, and their retention.

Rasa 3.6's `SQLTrackerStore` keeps one row per event in the table `events` (id,
sender_id, type_name, timestamp, intent_name, action_name, data); `data` is the event's
JSON (`Event.as_dict()`). A transcript is the `user` and `bot` events of one sender_id.
The store is only read here, and written only by retention (`delete_older_than`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from meso.store.db import EngineCache
from meso.store.rasa_events import events_table

logger = logging.getLogger(__name__)

PATIENT, ASSISTANT = "patient", "assistant"
MAX_EVENTS = 5000  # a transcript longer than this is cut (oldest kept)

class TranscriptUnavailable(Exception):
    """The tracker store exists but cannot be read right now."""


@dataclass(frozen=True)
class Turn:
    """One message of a conversation."""

    who: str  # patient | assistant
    text: str
    at: Optional[datetime]


def _timestamp(value: Any) -> Optional[datetime]:
    try:
        return datetime.fromtimestamp(float(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _bot_text(data: Dict[str, Any]) -> str:
    """The bot message text, with the titles of any buttons it offered."""
    text = data.get("text") or ""
    extra = data.get("data") or {}
    buttons = extra.get("buttons") if isinstance(extra, dict) else None
    if isinstance(buttons, list):
        titles = [str(b.get("title")) for b in buttons if isinstance(b, dict) and b.get("title")]
        if titles:
            text = f"{text}\n[options: {' | '.join(titles)}]".strip()
    return text


def turns_from_rows(rows: Iterable[Tuple[str, Any, Optional[str]]]) -> List[Turn]:
    """Turns from (type_name, timestamp, data JSON) rows in event order; others are skipped.

    Args:
        rows: Tracker store rows; malformed JSON or empty messages are dropped.
    """
    turns: List[Turn] = []
    for type_name, timestamp, raw in rows:
        try:
            data = json.loads(raw) if raw else {}
        except (TypeError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if type_name == "user":
            who, text = PATIENT, data.get("text") or ""
        elif type_name == "bot":
            who, text = ASSISTANT, _bot_text(data)
        else:
            continue
        if not isinstance(text, str) or not text:
            continue
        turns.append(Turn(who, text, _timestamp(data.get("timestamp", timestamp))))
    return turns


def sqlite_path(url: str) -> Optional[Path]:
    """The file of a SQLite URL (None for other databases or in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return None if not path or path == ":memory:" else Path(path)


def _build_engine(url: str) -> Engine:
    # Not meso.store.db.make_engine: the console must not switch Rasa's SQLite file to WAL
    # or create it when it is missing.
    if url.startswith("sqlite"):
        return sa.create_engine(url, future=True, connect_args={"timeout": 5}, hide_parameters=True)
    return sa.create_engine(
        url, future=True, pool_pre_ping=True, connect_args={"connect_timeout": 3}, hide_parameters=True
    )


_ENGINES = EngineCache(_build_engine)
_engine = _ENGINES.get
# Closes every pooled tracker-store connection of this process (tests, shutdown).
dispose_engines = _ENGINES.dispose


def _missing_table(exc: DBAPIError) -> bool:
    message = str(exc.orig or exc).lower()
    return "no such table" in message or "does not exist" in message or "undefinedtable" in message


class TranscriptStore:
    """Reads transcripts from, and prunes, Rasa's SQL tracker store.

    Args:
        url: SQLAlchemy URL of the tracker store (`Settings.tracker_url`).
    """

    def __init__(self, url: str) -> None:
        self.url = url

    def _exists(self) -> bool:
        path = sqlite_path(self.url)
        return path is None or path.is_file()

    def turns(self, sender_id: str) -> List[Turn]:
        """The conversation of `sender_id`, oldest first; [] when the store or sender is missing.

        Raises:
            TranscriptUnavailable: The database is there but does not answer.
        """
        if not sender_id or not self._exists():
            return []
        query = (
            sa.select(events_table.c.type_name, events_table.c.timestamp, events_table.c.data)
            .where(events_table.c.sender_id == sender_id, events_table.c.type_name.in_(("user", "bot")))
            .order_by(events_table.c.id)
            .limit(MAX_EVENTS)
        )
        try:
            with _engine(self.url).connect() as connection:
                rows = [tuple(row) for row in connection.execute(query)]
        except (OperationalError, ProgrammingError) as exc:
            if _missing_table(exc):
                return []
            logger.warning("tracker store unavailable: %s", type(exc).__name__)
            raise TranscriptUnavailable(type(exc).__name__) from exc
        return turns_from_rows(rows)

    def delete_older_than(self, cutoff: datetime) -> int:
        """Deletes every event of the conversations whose last event is older than `cutoff`.

        Args:
            cutoff: Timezone-aware.

        Returns:
            How many conversations (sender ids) were deleted.
        """
        if cutoff.tzinfo is None:
            raise ValueError("cutoff must be timezone-aware")
        if not self._exists():
            return 0
        stale = (
            sa.select(events_table.c.sender_id)
            .group_by(events_table.c.sender_id)
            .having(sa.func.max(events_table.c.timestamp) < cutoff.timestamp())
        )
        try:
            with _engine(self.url).begin() as connection:
                senders = [row[0] for row in connection.execute(stale)]
                for start in range(0, len(senders), 500):
                    batch = senders[start : start + 500]
                    connection.execute(events_table.delete().where(events_table.c.sender_id.in_(batch)))
        except (OperationalError, ProgrammingError) as exc:
            if _missing_table(exc):
                return 0
            raise
        logger.info(
            "retention: deleted %d conversations last active before %s", len(senders), cutoff.isoformat()
        )
        return len(senders)
