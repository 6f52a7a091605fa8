"""What the SMS channel remembers per phone number, in the escalation database.

Opt-outs (kept until the number opts back in), the MessageSids already processed (so a
Twilio retry is answered once; pruned after a day), and per number the pages waiting
behind MORE and the last numbered options (dropped after a day).

The schema lives in Alembic revision 0003; it is migrated on first use, never at import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from meso.clock import naive_utcnow
from meso.replies import Button
from meso.store import db
from meso.store.tables import opt_outs_table, processed_table, threads_table

KEEP_FOR = timedelta(days=1)
PRUNE_EVERY = timedelta(hours=1)


def options_to_json(options: Sequence[Button]) -> List[Dict[str, str]]:
    """Options in a JSON-friendly form for storage."""
    return [{"title": option.title, "payload": option.payload} for option in options]


def options_from_json(raw: Any) -> List[Button]:
    """Options read back from storage; malformed entries are dropped."""
    entries = raw if isinstance(raw, list) else []
    return [
        Button(str(entry["title"]), str(entry["payload"]))
        for entry in entries
        if isinstance(entry, Mapping) and entry.get("title") and entry.get("payload")
    ]


@dataclass(frozen=True)
class Thread:
    """The pages still to send on MORE, and the options a number picks from."""

    pending: List[List[str]] = field(default_factory=list)
    options: List[Button] = field(default_factory=list)


# Phone numbers never reach error logs: meso.store.db engines hide SQL parameters.
_engine = db.engine


class SmsStateStore:
    """SMS channel state in one SQL database (SQLite or PostgreSQL).

    Args:
        url: SQLAlchemy URL, normally Settings.escalation_url.
        clock: Returns the current naive UTC time; tests pass their own.
    """

    def __init__(self, url: str, clock: Callable[[], datetime] = naive_utcnow) -> None:
        self.url = url
        self._clock = clock
        self._pruned_at: Optional[datetime] = None

    @property
    def engine(self) -> Engine:
        """The engine, after migrating the schema on first use in this process."""
        return _engine(self.url)

    # -- Twilio retries ---------------------------------------------------------------

    def claim(self, message_sid: str) -> Optional[str]:
        """Records `message_sid` as being processed.

        Returns:
            None when the sid is new (the caller processes it); otherwise the TwiML
            sent for it ("" while the first delivery is still being processed).
        """
        self._maybe_prune()
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    processed_table.insert().values(message_sid=message_sid, created_at=self._clock())
                )
            return None
        except IntegrityError:
            with self.engine.begin() as connection:
                response = connection.execute(
                    sa.select(processed_table.c.response).where(processed_table.c.message_sid == message_sid)
                ).scalar()
            return response or ""

    def finish(self, message_sid: str, response: str) -> None:
        """Stores the TwiML answered for `message_sid`, for its retries."""
        with self.engine.begin() as connection:
            connection.execute(
                processed_table.update()
                .where(processed_table.c.message_sid == message_sid)
                .values(response=response)
            )

    # -- opt-outs ---------------------------------------------------------------------

    def is_opted_out(self, phone: str) -> bool:
        """Whether `phone` has opted out."""
        with self.engine.begin() as connection:
            return (
                connection.execute(
                    sa.select(opt_outs_table.c.phone).where(opt_outs_table.c.phone == phone)
                ).first()
                is not None
            )

    def opt_out(self, phone: str) -> bool:
        """Opts `phone` out and forgets its thread; True if it was not opted out yet."""
        try:
            with self.engine.begin() as connection:
                connection.execute(opt_outs_table.insert().values(phone=phone, opted_out_at=self._clock()))
                connection.execute(threads_table.delete().where(threads_table.c.phone == phone))
            return True
        except IntegrityError:
            return False

    def opt_in(self, phone: str) -> bool:
        """Opts `phone` back in; True if it was opted out."""
        with self.engine.begin() as connection:
            result = connection.execute(opt_outs_table.delete().where(opt_outs_table.c.phone == phone))
            return bool(result.rowcount)

    # -- MORE pages and numbered options ----------------------------------------------

    def thread(self, phone: str) -> Thread:
        """The pending pages and options of `phone` (empty when none or expired)."""
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(threads_table.c.pending, threads_table.c.options, threads_table.c.updated_at).where(
                    threads_table.c.phone == phone
                )
            ).first()
        if row is None or row.updated_at < self._clock() - KEEP_FOR:
            return Thread()
        pending = json.loads(row.pending)
        return Thread(
            pending=[[str(m) for m in page] for page in pending if isinstance(page, list)],
            options=options_from_json(json.loads(row.options)),
        )

    def save_thread(self, phone: str, thread: Thread) -> None:
        """Replaces the pending pages and options of `phone`."""
        values = {
            "pending": json.dumps(thread.pending),
            "options": json.dumps(options_to_json(thread.options)),
            "updated_at": self._clock(),
        }
        with self.engine.begin() as connection:
            connection.execute(threads_table.delete().where(threads_table.c.phone == phone))
            if thread.pending or thread.options:
                connection.execute(threads_table.insert().values(phone=phone, **values))

    def next_page(self, phone: str) -> Optional[List[str]]:
        """Takes the next page waiting behind MORE, if any (the options are kept)."""
        thread = self.thread(phone)
        if not thread.pending:
            return None
        self.save_thread(phone, Thread(pending=thread.pending[1:], options=thread.options))
        return thread.pending[0]

    # -- housekeeping -----------------------------------------------------------------

    def prune(self) -> None:
        """Deletes processed sids and threads older than a day."""
        cutoff = self._clock() - KEEP_FOR
        with self.engine.begin() as connection:
            connection.execute(processed_table.delete().where(processed_table.c.created_at < cutoff))
            connection.execute(threads_table.delete().where(threads_table.c.updated_at < cutoff))

    def _maybe_prune(self) -> None:
        now = self._clock()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            self.prune()
