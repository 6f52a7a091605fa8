"""Rasa's SQL tracker store, writing each turn with one INSERT and no counting query.

Rasa's `SQLTrackerStore.save` first counts the conversation's stored events (a
query over the latest session), then adds the new ones one ORM object at a time;
its `retrieve` rebuilds its ORM query on every call. This store loads with the
same query, built once, and remembers on the tracker it hands out how many of
its events are stored; `save` inserts the rest in one statement. The count is
exact: the lock store serialises the turns of a conversation, across Sanic
workers and replicas alike, so nobody else writes that conversation in between.
A tracker it did not hand out falls back to Rasa's count.

On SQLite its sessions come from its own engine: WAL mode, `synchronous=NORMAL`
and a small pool. Readers never block the writer, a commit no longer waits for
the disk (a power cut may lose the last turns; a crash of the process loses
nothing), and no connection is opened and closed per query, as Rasa's engine does.
`self.engine` stays Rasa's (channels/health.py probes and hardens it). Other
databases (PostgreSQL) use Rasa's engine as configured.

Configured in endpoints.yml (`type: serving.tracker_store.TurnSQLTrackerStore`);
it also installs `serving.fixes`, as every Rasa process loads its tracker store.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from typing import Any, Dict, Iterator, List, Optional

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from serving import fixes

STORED = "_meso_stored_events"  # attribute set on trackers this store hands out
SQLITE_BUSY_SECONDS = 2.0  # Rasa is the only writer; its transactions take milliseconds


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_engine(url: Any) -> Engine:
    """A pooled SQLite engine in WAL mode that never logs SQL parameters."""
    engine = sa.create_engine(
        url,
        poolclass=QueuePool,
        pool_size=2,
        hide_parameters=True,
        connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
    )
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def event_row(sender_id: str, event: Any) -> Dict[str, Any]:
    """The `events` table row of one event, exactly as Rasa's store writes it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class TurnSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` with one INSERT per turn (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fixes.install()
        super().__init__(*args, **kwargs)
        self._sqlite_sessions: Optional[sa.orm.sessionmaker] = None
        self._latest_session_query: Optional[sa.sql.Select] = None
        if self.engine.dialect.name == "sqlite":
            self._sqlite_sessions = sa.orm.sessionmaker(bind=sqlite_engine(self.engine.url))

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[sa.orm.Session]:
        """A session on this store's SQLite engine, or Rasa's own session scope."""
        if self._sqlite_sessions is None:
            with super().session_scope() as session:
                yield session
            return
        session = self._sqlite_sessions()
        try:
            yield session
        finally:
            session.close()

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        """A new conversation: none of its events are stored."""
        tracker = super().init_tracker(sender_id)
        setattr(tracker, STORED, 0)
        return tracker

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The latest session, as Rasa loads it, marked with its stored event count."""
        with self.session_scope() as session:
            rows = session.execute(self._latest_session_events(), {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(row) for row in rows], self.domain.slots
        )
        setattr(tracker, STORED, len(tracker.events))
        return tracker

    def _latest_session_events(self) -> sa.sql.Select:
        """Rasa's query for the latest session's events, built once (Rasa rebuilds it per call)."""
        if self._latest_session_query is None:
            events = self.SQLEvent.__table__
            sender = sa.bindparam("sender_id")
            session_start = (
                sa.select(sa.func.max(events.c.timestamp))
                .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            self._latest_session_query = (
                sa.select(events.c.data)
                .where(
                    events.c.sender_id == sender,
                    sa.or_(events.c.timestamp >= session_start, session_start.is_(None)),
                )
                .order_by(events.c.id)
            )
        return self._latest_session_query

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Inserts the tracker's events that are not stored yet, in one statement."""
        await self.stream_events(tracker)
        stored: Optional[int] = getattr(tracker, STORED, None)
        with self.session_scope() as session:
            if stored is None:
                stored = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False
                ).count()
            rows: List[Dict[str, Any]] = [
                event_row(tracker.sender_id, event)
                for event in itertools.islice(tracker.events, stored, None)
            ]
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
                session.commit()
        setattr(tracker, STORED, len(tracker.events))
